"""``COPY ... FROM STDIN`` fed by a producer thread, so parsing overlaps the server's COPY work.

The producer parses, checks and serializes the next chunk while PostgreSQL ingests the
previous one. pyarrow and psycopg2 release the GIL during their heavy work, so the two
threads really run in parallel. A bounded queue caps memory at a few chunks.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
_END = b""
_QUEUE_CHUNKS = 16
_PUT_TIMEOUT_S = 0.5


class CopyCancelled(Exception):
    """Raised in the producer when the COPY failed and no more chunks are wanted."""


class _ChunkReader:
    """File-like object whose ``read`` returns the chunks a producer puts in a queue."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[bytes] = queue.Queue(maxsize=_QUEUE_CHUNKS)
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
