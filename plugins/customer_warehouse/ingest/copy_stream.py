"""``COPY ... FROM STDIN`` fed by a producer thread, so parsing overlaps the server's COPY work.

The producer parses, checks and serializes the next chunk while PostgreSQL ingests the
previous one. pyarrow and psycopg2 release the GIL during their heavy work, so the two
threads really run in parallel. A bounded queue caps memory at a few chunks.

``constant_defaults`` lets the server fill columns whose value is the same in every row.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import psycopg2
from psycopg2.sql import SQL, Identifier, Literal

log = logging.getLogger(__name__)

T = TypeVar("T")
_END = b""
_QUEUE_CHUNKS = 16
_PUT_TIMEOUT_S = 0.5


class CopyCancelled(Exception):
    """Raised in the producer when the COPY failed and no more chunks are wanted."""


class _ChunkReader:
    """File-like object whose ``read`` returns the chunks a producer puts in a queue."""

    def __init__(self, max_chunks: int = _QUEUE_CHUNKS) -> None:
        self.chunks: queue.Queue[bytes] = queue.Queue(maxsize=max_chunks)
        self.cancelled = threading.Event()
        self.finished = False

    def put(self, data: bytes) -> None:
        if not data:
            return
        while True:
            if self.cancelled.is_set():
                raise CopyCancelled("COPY was aborted")
            try:
                self.chunks.put(data, timeout=_PUT_TIMEOUT_S)
                return
            except queue.Full:
                continue

    def read(self, size: int = -1) -> bytes:
        if self.finished:
            return _END
        data = self.chunks.get()
        if not data:
            self.finished = True
        return data

    def close_input(self) -> None:
        # The end marker must arrive even if the queue is full, so wait for room.
        while not self.cancelled.is_set():
            try:
                self.chunks.put(_END, timeout=_PUT_TIMEOUT_S)
                return
            except queue.Full:
                continue


def copy_from_producer(cur, sql: str, produce: Callable[[Callable[[bytes], None]], T]) -> T:
    """Run ``COPY`` ``sql`` on ``cur`` with data that ``produce(emit)`` emits in another thread.

    Returns what ``produce`` returns. An exception in the producer is raised here after the
    COPY stops, so the caller's transaction rolls back rather than keep a partial file.
    """
    reader = _ChunkReader()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = produce(reader.put)
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread
            outcome["error"] = error
        finally:
            reader.close_input()

    worker = threading.Thread(target=run, name="copy-producer", daemon=True)
    worker.start()
    try:
        cur.copy_expert(sql, reader, size=1 << 20)
    except BaseException:
        reader.cancelled.set()
        worker.join()
        error = outcome.get("error")
        if error is not None and not isinstance(error, CopyCancelled):
            log.error("the COPY producer also failed: %s", error)
        raise
    worker.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


# How long constant_defaults waits for its table lock before it leaves the table unchanged.
DEFAULTS_LOCK_TIMEOUT = "5s"


@contextmanager
def constant_defaults(cur, table: str, values: dict[str, str]) -> Iterator[bool]:
    """Make ``values`` the defaults of their columns of ``table`` until the block ends.

    A ``COPY`` that leaves these columns out of its column list then gets the values
    from a constant default, which costs PostgreSQL almost nothing per row. Sending the
    three lineage values with every row cost it 0.3 s of CPU per million Olist order
    items, a fifth of the whole COPY (``bench/bench_load.py`` on the 2-core development
    machine). Defaults that read a session setting cost as much as sending the values.

    Runs in the caller's open transaction: ``ALTER TABLE`` takes an ACCESS EXCLUSIVE lock
    held until commit, so no other session inserts with these defaults, and readers of
    ``table`` wait until the load commits. The block's end drops the defaults again; when
    the block raises, the caller's rollback removes them. Yields False, with ``table``
    unchanged, when the lock is not granted within ``DEFAULTS_LOCK_TIMEOUT``: the caller
    then sends the values in every row.

    The columns must have no default of their own, as the raw lineage columns do not.
    """
    schema, name = table.split(".")
    target = Identifier(schema, name)
    granted = _set_defaults(cur, target, values)
    if not granted:
        log.warning(
            "%s is locked by another session for more than %s; sending %s with every row instead",
            table,
            DEFAULTS_LOCK_TIMEOUT,
            ", ".join(values),
        )
    yield granted
    if granted:
        for column in values:
            cur.execute(SQL("alter table {} alter column {} drop default").format(target, Identifier(column)))


def _set_defaults(cur, target: Identifier, values: dict[str, str]) -> bool:
    cur.execute("select current_setting('lock_timeout')")
    lock_timeout = cur.fetchone()[0]
    cur.execute("savepoint constant_defaults")
    cur.execute("select set_config('lock_timeout', %s, true)", (DEFAULTS_LOCK_TIMEOUT,))
    try:
        for column, value in values.items():
            cur.execute(
                SQL("alter table {} alter column {} set default {}").format(
                    target, Identifier(column), Literal(value)
                )
            )
    except psycopg2.errors.LockNotAvailable:
        # Rolling back to the savepoint also undoes the lock_timeout set after it.
        cur.execute("rollback to savepoint constant_defaults")
        return False
    cur.execute("release savepoint constant_defaults")
    cur.execute("select set_config('lock_timeout', %s, true)", (lock_timeout,))
    return True
