"""The PII vault: a separate database holding direct identifiers, encrypted record by record.

Writers stage encrypted rows with ``COPY`` and upsert them, keeping only the newest
source version of each record. Readers decrypt in the calling process; the key ring never
reaches the database. ``rotate_keys`` re-encrypts every record made with an older key.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

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


@dataclass(frozen=True)
class VaultRow:
    """One record to store: its key, the identifiers to encrypt and the plain bookkeeping columns."""

    key: str
    identity: dict
    columns: dict


def _copy_value(value: object) -> object:
    if value is None:
        return r"\N"
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class VaultStage:
    """Encrypted records of one table staged on an open vault transaction, then upserted at once.

    ``encode`` encrypts a chunk of records into ``COPY`` input for ``copy_sql``; the caller
    streams the chunks into the stage however suits it (``write_rows`` copies them at once,
    the shop extraction feeds a concurrent COPY while the source streams). ``publish``
    moves the staged records into the table; the caller commits. ``shared`` contains
    column values common to every row, such as the batch id.
    """

    def __init__(self, cur, table: str, ring: KeyRing, shared: dict | None = None) -> None:
        self.cur = cur
        self.shared = shared or {}
        self.table = table
        self.ring = ring
        self.key_column, self.plain = TABLES[table]
        self.columns = (self.key_column, *self.plain, "key_id", "identity")
        self.stage = f"_vault_{table.split('.')[1]}"
        self.staged = 0
        cur.execute(f"create temp table if not exists {self.stage} (like {table} including defaults)")
        cur.execute(f"truncate {self.stage}")

    @property
    def copy_sql(self) -> str:
        return f"copy {self.stage} ({', '.join(self.columns)}) from stdin with (format csv, null '\\N')"

    def encode(self, rows: Iterable[VaultRow]) -> bytes:
        """Encrypt ``rows`` into CSV input for ``copy_sql`` and count them as staged."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in rows:
            blob = self.ring.encrypt(row.identity, row.key)
            columns = {**self.shared, **row.columns}
            values = [row.key, *(columns.get(name) for name in self.plain), self.ring.active_id, blob]
            writer.writerow([_copy_value(value) for value in values])
            self.staged += 1
        return buffer.getvalue().encode("utf-8")

    def publish(self) -> int:
        """Upsert the staged records; return how many were inserted or replaced.

        A stored record is replaced only by a strictly newer source version, so replaying
        an older or the same extraction never overwrites identifiers. Within the stage,
        the newest version of each key wins.
        """
        if not self.staged:
            return 0
        versioned = "source_updated_at" in self.plain
        newer = f" where {self.table}.source_updated_at < excluded.source_updated_at" if versioned else ""
        order = f"{self.key_column}, source_updated_at desc" if versioned else self.key_column
        updates = ", ".join(f"{name} = excluded.{name}" for name in (*self.plain, "key_id", "identity"))
        columns = ", ".join(self.columns)
        self.cur.execute(
            f"insert into {self.table} ({columns}) "
            f"select distinct on ({self.key_column}) {columns} from {self.stage} order by {order} "
            f"on conflict ({self.key_column}) do update set {updates}, stored_at = now(){newer}"
        )
        written = self.cur.rowcount
        self.cur.execute(f"drop table {self.stage}")
        return written


def write_rows(cur, table: str, rows: Iterable[VaultRow], ring: KeyRing) -> int:
    """Encrypt and upsert ``rows`` into ``table`` in the open transaction; return the count written."""
    stage = VaultStage(cur, table, ring)
    cur.copy_expert(stage.copy_sql, io.BytesIO(stage.encode(rows)), size=1 << 20)
    return stage.publish()


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
