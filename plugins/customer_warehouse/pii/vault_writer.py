"""A child process that encrypts and stores one table's vault records, beside the extraction.

The extraction's Python process reads, splits and loads on one core. Encryption, the
binary ``COPY`` encoding and the vault's ``COPY`` run here on another core instead of in
a thread of the same process, which would hold the same GIL. The parent sends each chunk
of ``VaultRow`` as one MessagePack frame on the child's standard input. The child stores
it in its own vault transaction and commits only on the parent's request, just before the
warehouse commits. A chunk that fails, a child that dies or a parent that stops early
leaves that transaction uncommitted, so PostgreSQL rolls all of it back.

The vault URL and the key ring reach the child in its environment, never in its
arguments or on the pipe.

    python -m customer_warehouse.pii.vault_writer   (started by ``VaultWriterProcess``)
"""

from __future__ import annotations

import logging
import os
import select
import struct
import subprocess
import sys
from collections.abc import Sequence
from typing import IO, Any

import msgspec
import psycopg2

from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.pii.crypto import VAULT_KEYS_VARIABLE, KeyRing
from customer_warehouse.pii.vault import VaultRow, VaultStage

log = logging.getLogger(__name__)

_URL_VARIABLE = "CW_VAULT_WRITER_URL"
_FRAME_LENGTH = struct.Struct(">I")
# Seconds the parent waits for a child to exit after its input closed before killing it.
_EXIT_TIMEOUT_S = 30

# Parent to child: ("begin", table, shared columns), then ("chunk", number, rows) frames
# and ("commit", 0, []). Child to parent: ("committed", records encrypted, records
# written) or ("failed", chunk number, 0 for the commit, message).
_Begin = tuple[str, str, dict[str, Any]]
_Chunk = tuple[str, int, list[VaultRow]]
_Reply = tuple[str, int, Any]
_ENCODER = msgspec.msgpack.Encoder()


class VaultWriteError(RuntimeError):
    """Storing records in the vault failed, so the vault transaction of the batch was rolled back."""


def _write_frame(stream: IO[bytes], message: object) -> None:
    data = _ENCODER.encode(message)
    stream.write(_FRAME_LENGTH.pack(len(data)) + data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes | None:
    """Return the next frame, or None at the end of the input."""
    header = stream.read(_FRAME_LENGTH.size)
    if len(header) < _FRAME_LENGTH.size:
        return None
    (length,) = _FRAME_LENGTH.unpack(header)
    data = stream.read(length)
    if len(data) < length:
        return None
    return data


class VaultWriterProcess:
    """Parent side: a child process storing the records of one vault table in one transaction.

    ``put`` sends a chunk and returns at once unless the pipe is full. ``commit`` waits until
    every chunk is stored, commits the vault transaction and returns the counts. ``abort``
    ends the child without committing. Both raise ``VaultWriteError`` naming the table, the
    chunk and the batch when any chunk failed.
    """

    def __init__(
        self, vault_url: str, ring: KeyRing, table: str, shared: dict[str, Any], batch_id: str
    ) -> None:
        self.table = table
        self.batch_id = batch_id
        self.chunks = 0
        env = dict(os.environ)
        env[_URL_VARIABLE] = vault_url
        env[VAULT_KEYS_VARIABLE] = ring.entries()
        # The child imports the project from the same places as this process.
        env["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        self._send(("begin", table, shared))

    def put(self, rows: Sequence[VaultRow]) -> None:
        """Send one chunk of records to the child; raise ``VaultWriteError`` if an earlier chunk failed."""
        if not rows:
            return
        if select.select([self._process.stdout], [], [], 0)[0]:
            self._fail(self._read_reply())
        self.chunks += 1
        self._send(("chunk", self.chunks, list(rows)))

    def commit(self) -> tuple[int, int]:
        """Commit the vault transaction once every chunk is stored; return (records encrypted, written)."""
        self._send(("commit", 0, []))
        reply = self._read_reply()
        self._process.stdin.close()
        self._process.wait(timeout=_EXIT_TIMEOUT_S)
        if reply[0] != "committed":
            self._fail(reply)
        return reply[1], reply[2]

    def abort(self) -> None:
        """End the child without committing, so the vault rolls back every chunk of this table."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            try:
                stream.close()
            except BrokenPipeError:
                # The child is gone, so the data still buffered for it is dropped.
                pass

    def _send(self, message: object) -> None:
        try:
            _write_frame(self._process.stdin, message)
        except BrokenPipeError:
            self._fail(self._read_reply())

    def _read_reply(self) -> _Reply:
        data = _read_frame(self._process.stdout)
        if data is None:
            code = self._process.wait()
            message = f"the vault writer process exited with code {code} after chunk {self.chunks} was sent"
            return ("failed", self.chunks, message)
        return msgspec.msgpack.decode(data, type=_Reply)

    def _fail(self, reply: _Reply) -> None:
        _, chunk, message = reply
        self.abort()
        where = f"chunk {chunk}" if chunk else "the commit"
        raise VaultWriteError(
            f"storing {where} of {self.table} in the vault failed (batch {self.batch_id}), so none of "
            f"the batch's records of {self.table} were kept: {message}"
        )


def _serve(source: IO[bytes], reply: IO[bytes]) -> int:
    """Store the chunks read from ``source`` until the commit request; return the exit code."""
    first = _read_frame(source)
    if first is None:
        return 1
    _, table, shared = msgspec.msgpack.decode(first, type=_Begin)
    ring = KeyRing.from_env()
    conn = psycopg2.connect(psycopg2_dsn(os.environ[_URL_VARIABLE]))
    decoder = msgspec.msgpack.Decoder(_Chunk)
    try:
        stage = VaultStage(conn.cursor(), table, ring, shared)
        while (data := _read_frame(source)) is not None:
            kind, number, rows = decoder.decode(data)
            try:
                if kind == "commit":
                    stage.drop()
                    conn.commit()
                else:
                    stage.store(stage.encrypt(rows))
            except Exception as error:
                log.exception("storing chunk %s of %s failed", number, table)
                _write_frame(reply, ("failed", number, f"{type(error).__name__}: {error}"))
                return 1
            if kind == "commit":
                _write_frame(reply, ("committed", stage.encrypted, stage.written))
                return 0
    finally:
        conn.close()
    # The input ended without a commit request: the parent stopped, so nothing is kept.
    return 1


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return _serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    raise SystemExit(main())
