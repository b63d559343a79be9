"""Incremental extraction of the shop database into ``raw.shop_<table>``.

Each table is read by its ``updated_at`` watermark (``audit.watermarks``), starting
``extract_lookback_seconds`` before it so rows committed late with an older timestamp
are still seen. Rows stream from a server-side cursor in chunks into a temporary table
by ``COPY``; one ``insert ... select`` then moves only the versions (primary key,
``updated_at``) that raw does not hold yet. Rows, quarantine, batch row and the new
watermark commit in one transaction per table.

Tables with direct identifiers (``pii.split.SHOP_SPLITS``: customers, addresses) are split
on the way: the identifiers are standardized, encrypted and upserted into the PII vault,
and raw receives the pseudonymous keys and derived facts instead. A child process
(``pii.vault_writer``) encrypts and stores them while this process extracts. The vault
commits just before the warehouse, so a failure in between leaves the watermark where it
was and the next run upserts the same identities again.
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg2
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse import db, platform_schema
from customer_warehouse.config import Settings
from customer_warehouse.ingest import batches
from customer_warehouse.ingest.batches import BatchResult, QuarantineRow
from customer_warehouse.ingest.copy_stream import copy_from_producer
from customer_warehouse.pii.crypto import KeyRing
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.split import SHOP_SPLITS, TableSplit
from customer_warehouse.pii.vault import VaultRow, bootstrap_vault
from customer_warehouse.pii.vault_writer import VaultWriterProcess

log = logging.getLogger(__name__)

SOURCE = "shop"
CHUNK_ROWS = 20_000
_NULL = r"\N"
_STAGE = "_cw_extract"


def _select_tables(tables: Sequence[str] | None) -> list[sa.Table]:
    by_name = {table.name: table for table in platform_schema.EXTRACT_TABLES}
    if tables is None:
        return list(platform_schema.EXTRACT_TABLES)
    unknown = [name for name in tables if name not in by_name]
    if unknown:
        raise ValueError(f"unknown shop tables {unknown}: choose from {', '.join(by_name)}")
    # Keep the parents-first extraction order whatever order the caller used.
    return [table for table in platform_schema.EXTRACT_TABLES if table.name in tables]


def extract_shop(
    settings: Settings,
    run_id: str,
    tables: Sequence[str] | None = None,
    protection: Protection | None = None,
) -> list[BatchResult]:
    """Extract what changed in each shop table since its watermark; return one result per table.

    ``protection`` defaults to the keys, key ring and vault of ``settings``; a benchmark
    may pass its own to measure the same extraction without encryption.
    """
    batches.ensure_warehouse(
        settings.warehouse_url, [f"raw.shop_{t.name}" for t in platform_schema.EXTRACT_TABLES]
    )
    selected = _select_tables(tables)
    if protection is None and any(t.name in protection_splits(None) for t in selected):
        protection = Protection.open(settings)
    source = db.engine(settings.shop_url)
    conn = psycopg2.connect(db.psycopg2_dsn(settings.warehouse_url))
    lookback = timedelta(seconds=settings.extract_lookback_seconds)
    try:
        return [_extract_table(source, conn, run_id, table, lookback, protection) for table in selected]
    finally:
        conn.close()
        source.dispose()


@dataclass
class Protection:
    """What splitting identifiers off needs: the keys, the vault key ring, the vault URL, the splits.

    With ``vault_url`` None the identifiers stay in the raw row (a benchmark baseline only).
    """

    keys: Pseudonymizer
    ring: KeyRing | None
    vault_url: str | None
    splits: Mapping[str, TableSplit] = field(default_factory=lambda: SHOP_SPLITS)
    # Keys of accounts erased on request (audit.erasure_suppressions): never extracted again.
    erased: frozenset[str] = frozenset()

    @classmethod
    def open(cls, settings: Settings) -> Protection:
        keys, ring = Pseudonymizer.from_env(), KeyRing.from_env()
        bootstrap_vault(settings.vault_url)
        return cls(keys, ring, settings.vault_url, erased=erased_keys(settings.warehouse_url, SOURCE))


def erased_keys(warehouse_url: str, source: str) -> frozenset[str]:
    """Return the keys of the ``source`` accounts erased on request."""
    conn = psycopg2.connect(db.psycopg2_dsn(warehouse_url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute("select customer_key from audit.erasure_suppressions where source = %s", (source,))
            return frozenset(row[0] for row in cur.fetchall())
    finally:
        conn.close()


def protection_splits(protection: Protection | None) -> Mapping[str, TableSplit]:
    return SHOP_SPLITS if protection is None else protection.splits


def _csv_value(value: Any) -> Any:
    if value is None:
        return _NULL
    if isinstance(value, datetime):
        # MySQL returns naive datetimes; the platform stores UTC.
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, Decimal | int | float):
        return str(value)
    return value


@dataclass
class _Extract:
    """Running state of one table's extraction."""

    table: sa.Table
    result: BatchResult
    key_position: int
    updated_position: int
    splitter: TableSplit | None = None
    protection: Protection | None = None
    vault_writer: VaultWriterProcess | None = None
    read: int = 0
    staged: int = 0
    erased: int = 0
    max_updated_at: datetime | None = None
    quarantine: list[QuarantineRow] = field(default_factory=list)

    def rows_to_csv(self, rows: Sequence[Sequence[Any]], first_row: int) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        vault_rows: list[VaultRow] = []
        for offset, row in enumerate(rows):
            if self._quarantined(row, first_row + offset):
                continue
            updated_at = _utc(row[self.updated_position])
            if self.max_updated_at is None or updated_at > self.max_updated_at:
                self.max_updated_at = updated_at
            if self.splitter is not None:
                row = self._split(row, vault_rows)
                if row is None:
                    self.erased += 1
                    continue
            writer.writerow([_csv_value(value) for value in row])
            self.staged += 1
        if vault_rows:
            self.vault_writer.put(vault_rows)
        return buffer.getvalue().encode("utf-8")

    def _split(self, row: Sequence[Any], vault_rows: list[VaultRow]) -> list[Any] | None:
        """Return the raw values of a source row and queue its identifiers for the vault.

        Returns None for a row of an account erased on request: it leaves no trace at all,
        not even in the quarantine, and is not counted as read.
        """
        record = {column.name: value for column, value in zip(self.table.columns, row, strict=True)}
        split = self.splitter.split(record, self.protection.keys)
        if split.facts.get("customer_key") in self.protection.erased:
            return None
        if self.vault_writer is not None:
            vault_rows.append(VaultRow(split.key, split.identity, self.splitter.vault_columns(record, split)))
        kept = [record[name] for name in record if name not in self.splitter.identifiers]
        return kept + [split.facts[name] for name in self.splitter.facts]

    def _quarantined(self, row: Sequence[Any], read_order: int) -> bool:
        key_name = self.table.columns[self.key_position].name
        for position, name in ((self.key_position, key_name), (self.updated_position, "updated_at")):
            if row[position] is None:
                record = {column.name: value for column, value in zip(self.table.columns, row, strict=True)}
                key = row[self.key_position]
                key_text = key if key is not None else "(no key)"
                reason = (
                    f"{name} is empty in shop.{self.table.name} row {key_text}; "
                    "raw needs a primary key and updated_at on every row, fix the row in the shop database"
                )
                self.quarantine.append(
                    QuarantineRow(
                        read_order, None if key is None else str(key), "not_null", name, reason, record
                    )
                )
                return True
        return False


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _read_watermark(cur, table: str) -> datetime | None:
    cur.execute(
        "select watermark from audit.watermarks where source = %s and source_table = %s", (SOURCE, table)
    )
    row = cur.fetchone()
    return row[0] if row else None


def _source_query(engine: Engine, table: sa.Table, since: datetime | None) -> sa.Select:
    key = table.c[platform_schema.PRIMARY_KEYS[table.name]]
    query = sa.select(*table.columns).order_by(table.c.updated_at, key)
    if since is None:
        return query
    if engine.dialect.name in ("mysql", "mariadb"):
        # MySQL DATETIME has no zone and stores UTC, so compare with a naive UTC value.
        since = since.astimezone(UTC).replace(tzinfo=None)
    return query.where(table.c.updated_at >= since)


def _stream_source(
    engine: Engine, query: sa.Select, state: _Extract, emit: Callable[[bytes], None]
) -> _Extract:
    with engine.connect() as source:
        rows = source.execution_options(stream_results=True, yield_per=CHUNK_ROWS).execute(query)
        for chunk in rows.partitions(CHUNK_ROWS):
            emit(state.rows_to_csv(chunk, state.read + 1))
            state.read += len(chunk)
    return state


def _extract_table(
    engine: Engine, conn, run_id: str, table: sa.Table, lookback: timedelta, protection: Protection | None
) -> BatchResult:
    started = time.perf_counter()
    raw_table = f"raw.shop_{table.name}"
    result = BatchResult(batches.new_batch_id(run_id, SOURCE, table.name), SOURCE, table.name, raw_table)
    try:
        with conn, conn.cursor() as cur:
            _extract_in_transaction(engine, cur, run_id, table, lookback, result, protection)
    except Exception as error:
        conn.rollback()
        log.exception("extracting shop.%s failed (batch %s)", table.name, result.batch_id)
        result.status = batches.FAILED
        result.rows_read = result.rows_loaded = result.rows_quarantined = 0
        result.message = (
            f"extracting shop.{table.name} failed and was rolled back; the next run retries it: {error}"
        )
        with conn, conn.cursor() as cur:
            batches.record_batch(cur, result, run_id)
    result.seconds = time.perf_counter() - started
    level = logging.ERROR if result.status == batches.FAILED else logging.INFO
    log.log(level, "%s", result.summary())
    return result


def _extract_in_transaction(
    engine: Engine,
    cur,
    run_id: str,
    table: sa.Table,
    lookback: timedelta,
    result: BatchResult,
    protection: Protection | None,
) -> None:
    source_columns = [column.name for column in table.columns]
    splitter = protection_splits(protection).get(table.name)
    columns = splitter.raw_columns(source_columns) if splitter else source_columns
    key = platform_schema.PRIMARY_KEYS[table.name]
    batches.start_batch(cur, result, run_id)
    watermark = _read_watermark(cur, table.name)
    since = watermark - lookback if watermark else None
    cur.execute(
        f"create temp table {_STAGE} on commit drop as select {', '.join(columns)} "
        f"from {result.target_table} with no data"
    )
    state = _Extract(table, result, source_columns.index(key), source_columns.index("updated_at"))
    if splitter is not None:
        state.splitter, state.protection = splitter, protection
    if splitter is not None and protection.vault_url is not None:
        state.vault_writer = VaultWriterProcess(
            protection.vault_url,
            protection.ring,
            splitter.vault_table,
            {"batch_id": result.batch_id},
            result.batch_id,
        )
    try:
        _load_and_finish(engine, cur, table, since, columns, key, state)
    finally:
        # A no-op after a commit. On any error it ends the child before its vault
        # transaction commits, so the vault keeps none of this batch's records.
        if state.vault_writer is not None:
            state.vault_writer.abort()


def _load_and_finish(
    engine: Engine,
    cur,
    table: sa.Table,
    since: datetime | None,
    columns: list[str],
    key: str,
    state: _Extract,
) -> None:
    result = state.result
    query = _source_query(engine, table, since)
    copy_sql = f"copy {_STAGE} ({', '.join(columns)}) from stdin with (format csv, null '{_NULL}')"
    copy_from_producer(cur, copy_sql, lambda emit: _stream_source(engine, query, state, emit))
    cur.execute(
        f"insert into {result.target_table} ({', '.join(columns)}, _batch_id, _source, _source_object) "
        f"select {', '.join('s.' + c for c in columns)}, %s, %s, %s from {_STAGE} s "
        f"where not exists (select 1 from {result.target_table} r "
        f"where r.{key} = s.{key} and r.updated_at = s.updated_at)",
        (result.batch_id, SOURCE, table.name),
    )
    inserted = cur.rowcount
    already_held = state.staged - inserted
    if state.vault_writer is not None:
        encrypted, stored = state.vault_writer.commit()
        log.info(
            "stored %s identities in vault %s, %s unchanged (batch %s)",
            f"{stored:,}",
            state.vault_writer.table,
            f"{encrypted - stored:,}",
            result.batch_id,
        )
    batches.write_quarantine(cur, result, state.quarantine)
    result.rows_loaded = inserted
    result.rows_quarantined = len(state.quarantine)
    result.rows_read = inserted + result.rows_quarantined
    result.status = batches.status_for(result.rows_read, result.rows_loaded, result.rows_quarantined)
    result.message = _message(table.name, state, since, already_held)
    batches.finish_batch(cur, result)
    if state.max_updated_at is not None:
        cur.execute(
            "insert into audit.watermarks (source, source_table, watermark, batch_id) values (%s, %s, %s, %s)"
            " on conflict (source, source_table) do update set"
            " watermark = greatest(audit.watermarks.watermark, excluded.watermark),"
            " batch_id = excluded.batch_id, updated_at = now()",
            (SOURCE, table.name, state.max_updated_at, result.batch_id),
        )


def _message(table: str, state: _Extract, since: datetime | None, already_held: int) -> str:
    window = f"rows with updated_at >= {since.isoformat()}" if since else "every row (no watermark yet)"
    parts = [f"read {state.read:,} {window} from shop.{table}"]
    if already_held:
        parts.append(f"{already_held:,} versions already in raw were skipped")
    if state.erased:
        parts.append(f"{state.erased:,} rows of accounts erased on request skipped")
    if state.quarantine:
        first = state.quarantine[0]
        parts.append(
            f"{len(state.quarantine):,} quarantined, first at read order {first.source_row}: "
            f"rule {first.rule}: {first.reason}"
        )
    return "; ".join(parts)
