"""The PII vault: a separate database holding direct identifiers, encrypted record by record.

Writers ``COPY`` encrypted rows chunk by chunk, new keys straight into their table and
the others through a stage table and an upsert that keeps only the newest source version
of each record. Readers decrypt in the calling process; the key ring never reaches the
database. ``rotate_keys`` re-encrypts every record made with an older key.
"""

from __future__ import annotations

import io
import logging
import struct
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import NamedTuple

import psycopg2
import sqlalchemy as sa

from customer_warehouse.db import ensure_database, psycopg2_dsn
from customer_warehouse.pii.crypto import KeyRing

log = logging.getLogger(__name__)

SQL_FILES = ("001_pii.sql", "002_reveal.sql")

# Encrypted tables, their key column and the columns a writer fills besides the key.
TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pii.customer_identities": (
        "customer_key",
        ("source", "source_customer_id", "source_updated_at", "email_index", "phone_index", "batch_id"),
    ),
    "pii.address_identities": ("address_key", ("customer_key", "source_updated_at", "batch_id")),
    "pii.person_identities": ("person_key", ("run_id",)),
}


def bootstrap_vault(url: str) -> None:
    """Create the vault database and its ``pii`` schema if missing (idempotent)."""
    ensure_database(url)
    conn = psycopg2.connect(psycopg2_dsn(url))
    try:
        # A cursor without parameters, because the function bodies contain % signs that
        # parameter substitution would read as placeholders.
        with conn, conn.cursor() as cur:
            for name in SQL_FILES:
                cur.execute(resources.files("customer_warehouse").joinpath("sql", "vault", name).read_text())
    finally:
        conn.close()
    log.info("vault schema pii is in place on %s", safe_url(url))


def safe_url(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


class VaultRow(NamedTuple):
    """One record to store: its key, the identifiers to encrypt and the plain bookkeeping columns."""

    key: str
    identity: dict
    columns: dict


# Columns of the vault tables that are timestamptz. The other columns a writer fills are
# text, except the bytea ``identity``.
_TIMESTAMP_COLUMNS = frozenset({"source_updated_at"})
# PostgreSQL's binary COPY format: a signature, 32-bit flags and header extension length,
# then per row a 16-bit field count and per field a 32-bit length (-1 for NULL) followed
# by the bytes. A field count of -1 ends the data.
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_BINARY_TRAILER = struct.pack(">h", -1)
_NULL_FIELD = struct.pack(">i", -1)
_LENGTH = struct.Struct(">i")
_TIMESTAMP_FIELD = struct.Struct(">iq")
_POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _text_field(value: object) -> bytes:
    if value is None:
        return _NULL_FIELD
    data = (value if isinstance(value, str) else str(value)).encode("utf-8")
    return _LENGTH.pack(len(data)) + data


def _timestamp_field(value: object) -> bytes:
    """Return a timestamptz field; naive values and ISO text without a zone are taken as UTC."""
    if value is None:
        return _NULL_FIELD
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime for a timestamptz vault column, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _TIMESTAMP_FIELD.pack(8, (value - _POSTGRES_EPOCH) // _MICROSECOND)


class SealedRow(NamedTuple):
    """A ``VaultRow`` after encryption: its key, its plain columns and the ciphertext of its identity."""

    key: str
    columns: dict
    ciphertext: bytes


class VaultStage:
    """Writer of encrypted records into one vault table, chunk by chunk, on an open vault transaction.

    ``encrypt`` seals a chunk of records and ``store`` writes one sealed chunk, so a caller
    may run ``store`` in another thread while it encrypts the next chunk, as the shop
    extraction does. Records whose key the table does not hold yet are copied straight
    into it. The others go through the session's stage table and one upsert per chunk.
    ``drop`` removes the stage; the caller commits. ``shared`` contains column values
    common to every row, such as the batch id.
    """

    def __init__(self, cur, table: str, ring: KeyRing, shared: dict | None = None) -> None:
        self.cur = cur
        self.shared = shared or {}
        self.table = table
        self.ring = ring
        self.key_column, self.plain = TABLES[table]
        self.columns = (self.key_column, *self.plain, "key_id", "identity")
        self.stage = f"_vault_{table.split('.')[1]}"
        self.encrypted = 0
        self.written = 0
        self._upsert_sql = self._upsert()
        cur.execute(f"create temp table if not exists {self.stage} (like {table} including defaults)")
        cur.execute(f"truncate {self.stage}")

    def _copy_sql(self, target: str) -> str:
        return f"copy {target} ({', '.join(self.columns)}) from stdin with (format binary)"

    def _upsert(self) -> str:
        # A stored record is replaced only by a strictly newer source version, so replaying
        # an older or the same extraction never overwrites identifiers. Within the stage,
        # the newest version of each key wins.
        versioned = "source_updated_at" in self.plain
        newer = f" where {self.table}.source_updated_at < excluded.source_updated_at" if versioned else ""
        order = f"{self.key_column}, source_updated_at desc" if versioned else self.key_column
        updates = ", ".join(f"{name} = excluded.{name}" for name in (*self.plain, "key_id", "identity"))
        columns = ", ".join(self.columns)
        return (
            f"insert into {self.table} ({columns}) "
            f"select distinct on ({self.key_column}) {columns} from {self.stage} order by {order} "
            f"on conflict ({self.key_column}) do update set {updates}, stored_at = now(){newer}"
        )

    def encrypt(self, rows: Sequence[VaultRow]) -> list[SealedRow]:
        """Encrypt the identities of ``rows`` with the active key, each bound to its record's key."""
        ciphertexts = self.ring.encrypt_many([(row.identity, row.key) for row in rows])
        self.encrypted += len(rows)
        return [
            SealedRow(row.key, row.columns, ciphertext)
            for row, ciphertext in zip(rows, ciphertexts, strict=True)
        ]

    def store(self, rows: Sequence[SealedRow]) -> int:
        """Write one chunk of sealed records; return how many records it inserted or replaced.

        Keys that occur once in the chunk and not yet in the table are copied into the
        table, which costs PostgreSQL less than the upsert. Should a concurrent writer
        insert one of them first, the copy fails on the primary key, is rolled back to its
        savepoint and the whole chunk takes the upsert path.
        """
        occurrences = Counter(row.key for row in rows)
        stored = self._stored_keys(list(occurrences))
        new = [row for row in rows if occurrences[row.key] == 1 and row.key not in stored]
        rest = [row for row in rows if occurrences[row.key] > 1 or row.key in stored]
        written = 0
        if new:
            self.cur.execute("savepoint vault_copy")
            try:
                self._copy(self.table, new)
            except psycopg2.errors.UniqueViolation as error:
                self.cur.execute("rollback to savepoint vault_copy")
                log.warning(
                    "another transaction inserted keys of %s first; upserting this chunk instead: %s",
                    self.table,
                    error,
                )
                rest = list(rows)
            else:
                self.cur.execute("release savepoint vault_copy")
                written += len(new)
        if rest:
            self._copy(self.stage, rest)
            self.cur.execute(self._upsert_sql)
            written += self.cur.rowcount
            self.cur.execute(f"truncate {self.stage}")
        self.written += written
        return written

    def _stored_keys(self, keys: list[str]) -> set[str]:
        self.cur.execute(
            f"select {self.key_column} from {self.table} where {self.key_column} = any(%s)", (keys,)
        )
        return {row[0] for row in self.cur.fetchall()}

    def _copy(self, target: str, rows: Sequence[SealedRow]) -> None:
        self.cur.copy_expert(self._copy_sql(target), io.BytesIO(self._binary(rows)), size=1 << 20)

    def _binary(self, rows: Sequence[SealedRow]) -> bytes:
        """Return ``rows`` as binary ``COPY`` input, so the ciphertexts travel as raw bytes, not hex."""
        field_count = struct.pack(">h", len(self.columns))
        key_id = _text_field(self.ring.active_id)
        encoders = [_timestamp_field if name in _TIMESTAMP_COLUMNS else _text_field for name in self.plain]
        shared = {
            name: encoders[i](self.shared[name]) for i, name in enumerate(self.plain) if name in self.shared
        }
        columns = list(zip(self.plain, encoders, strict=True))
        parts = [_BINARY_HEADER]
        append = parts.append
        for row in rows:
            append(field_count)
            append(_text_field(row.key))
            values = row.columns
            for name, encode in columns:
                if name in values:
                    append(encode(values[name]))
                else:
                    append(shared.get(name, _NULL_FIELD))
            append(key_id)
            append(_LENGTH.pack(len(row.ciphertext)))
            append(row.ciphertext)
        append(_BINARY_TRAILER)
        return b"".join(parts)

    def drop(self) -> None:
        """Drop the stage table."""
        self.cur.execute(f"drop table {self.stage}")


def write_rows(cur, table: str, rows: Iterable[VaultRow], ring: KeyRing) -> int:
    """Encrypt and upsert ``rows`` into ``table`` in the open transaction; return the count written."""
    stage = VaultStage(cur, table, ring)
    rows = list(rows)
    written = stage.store(stage.encrypt(rows)) if rows else 0
    stage.drop()
    return written


def read_identities(
    url: str, table: str, ring: KeyRing, keys: Sequence[str] | None = None, batch_rows: int = 50_000
) -> Iterator[tuple[str, dict, dict]]:
    """Yield (key, decrypted identity, plain columns) for every record of ``table``, or only ``keys``."""
    key_column, plain = TABLES[table]
    select = f"select {key_column}, identity, {', '.join(plain)} from {table}"
    conn = psycopg2.connect(psycopg2_dsn(url))
    try:
        with conn, conn.cursor(name="vault_read") as cur:
            cur.itersize = batch_rows
            if keys is None:
                cur.execute(select)
            else:
                cur.execute(f"{select} where {key_column} = any(%s::text[])", (list(keys),))
            for record in cur:
                key, blob, *values = record
                yield key, ring.decrypt(bytes(blob), key), dict(zip(plain, values, strict=True))
    finally:
        conn.close()


def rotate_keys(url: str, ring: KeyRing, batch_rows: int = 20_000) -> dict[str, int]:
    """Re-encrypt with the active key every record encrypted with another key; return counts per table.

    Each batch decrypts, re-encrypts and updates in one transaction, so an interrupted
    rotation leaves every record readable with the keys listed, and running it again
    continues where it stopped. The ring must still list every old key in use.
    """
    started = datetime.now().astimezone()
    counts: dict[str, int] = {}
    conn = psycopg2.connect(psycopg2_dsn(url))
    try:
        for table, (key_column, _) in TABLES.items():
            counts[table] = _rotate_table(conn, table, key_column, ring, batch_rows)
        total = sum(counts.values())
        with conn, conn.cursor() as cur:
            cur.execute(
                "insert into pii.key_rotations (to_key_id, records, started_at) values (%s, %s, %s)",
                (ring.active_id, total, started),
            )
    finally:
        conn.close()
    return counts


def _rotate_table(conn, table: str, key_column: str, ring: KeyRing, batch_rows: int) -> int:
    done = 0
    while True:
        started = time.perf_counter()
        with conn, conn.cursor() as cur:
            cur.execute(
                f"select {key_column}, identity from {table} where key_id <> %s "
                f"order by {key_column} limit %s for update",
                (ring.active_id, batch_rows),
            )
            rows = cur.fetchall()
            if not rows:
                return done
            updates = [
                (ring.active_id, ring.encrypt(ring.decrypt(bytes(blob), key), key), key) for key, blob in rows
            ]
            cur.executemany(
                f"update {table} set key_id = %s, identity = %s where {key_column} = %s",
                [(key_id, psycopg2.Binary(blob), key) for key_id, blob, key in updates],
            )
        done += len(rows)
        log.info(
            "re-encrypted %s records of %s with key %s (%s so far, %.1f s)",
            f"{len(rows):,}",
            table,
            ring.active_id,
            f"{done:,}",
            time.perf_counter() - started,
        )


def key_usage(url: str) -> dict[str, dict[str, int]]:
    """Return, per encrypted table, how many records each key id protects."""
    usage: dict[str, dict[str, int]] = {}
    conn = psycopg2.connect(psycopg2_dsn(url))
    try:
        with conn, conn.cursor() as cur:
            for table in TABLES:
                cur.execute(f"select key_id, count(*) from {table} group by key_id order by key_id")
                usage[table] = {key_id: count for key_id, count in cur.fetchall()}
    finally:
        conn.close()
    return usage
