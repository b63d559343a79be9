"""Load batches and their bookkeeping in the ``audit`` schema.

Every batch writes one ``audit.load_batches`` row. The loaders write it inside the same
transaction as the raw rows, its quarantine rows and its manifest or watermark row, so
either all of them commit or none does.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg2

from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.pii.mask import mask_record
from customer_warehouse.warehouse import bootstrap

log = logging.getLogger(__name__)

LOADED, PARTIAL, REJECTED, SKIPPED, EMPTY, FAILED = (
    "loaded",
    "partial",
    "rejected",
    "skipped",
    "empty",
    "failed",
)


@dataclass
class BatchResult:
    """Outcome of loading one source table or one landed file."""

    batch_id: str
    source: str
    source_object: str
    target_table: str | None
    status: str = EMPTY
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    seconds: float = 0.0

    def summary(self) -> str:
        """Return the one-line account of this batch that the logs and the CLI print."""
        timing = f"(batch {self.batch_id}, {self.seconds:.1f} s)"
        if self.status in (LOADED, PARTIAL):
            line = (
                f"loaded {self.rows_loaded:,} of {self.rows_read:,} rows into {self.target_table} "
                f"from {self.source_object}, {self.rows_quarantined:,} quarantined {timing}"
            )
        else:
            line = f"{self.status} {self.source_object}: {self.message or 'no rows'} {timing}"
        if self.status == PARTIAL and self.message:
            line = f"{line}: {self.message}"
        return line


@dataclass(frozen=True)
class QuarantineRow:
    """One rejected record, as ``audit.quarantine`` stores it (``record`` is masked on write)."""

    source_row: int | None
    record_key: str | None
    rule: str
    column_name: str | None
    reason: str
    record: dict[str, Any] | None


def new_batch_id(run_id: str, source: str, source_object: str) -> str:
    """Return a unique, readable batch id: ``<run_id>:<source>:<object>:<short uuid>``."""
    return f"{run_id}:{source}:{source_object}:{uuid.uuid4().hex[:8]}"


def status_for(rows_read: int, rows_loaded: int, rows_quarantined: int) -> str:
    if rows_read == 0:
        return EMPTY
    if rows_quarantined == 0:
        return LOADED
    return PARTIAL if rows_loaded else REJECTED


def start_batch(cur, result: BatchResult, run_id: str) -> None:
    """Insert the batch row as ``running`` so quarantine and manifest rows can reference it."""
    cur.execute(
        "insert into audit.load_batches (batch_id, run_id, source, source_object, target_table, status)"
        " values (%s, %s, %s, %s, %s, 'running')",
        (result.batch_id, run_id, result.source, result.source_object, result.target_table),
    )


def finish_batch(cur, result: BatchResult) -> None:
    cur.execute(
        "update audit.load_batches set status = %s, rows_read = %s, rows_loaded = %s,"
        " rows_quarantined = %s, message = %s, finished_at = now() where batch_id = %s",
        (
            result.status,
            result.rows_read,
            result.rows_loaded,
            result.rows_quarantined,
            result.message,
            result.batch_id,
        ),
    )


def record_batch(cur, result: BatchResult, run_id: str) -> None:
    """Write the whole batch row at once, for batches that load nothing."""
    start_batch(cur, result, run_id)
    finish_batch(cur, result)


# Sources whose records may carry direct identifiers in free text.
SOURCES_WITH_IDENTIFIERS = frozenset({"shop", "events"})


def write_quarantine(cur, result: BatchResult, rows: Iterable[QuarantineRow]) -> int:
    """Copy ``rows`` into ``audit.quarantine`` for ``result``'s batch; return how many were written.

    Identifiers in each record are masked first (``pii.mask``): the quarantine is read by
    people, and the source or the landed file keeps the original until retention purges it.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    scan_lines = result.source in SOURCES_WITH_IDENTIFIERS
    count = 0
    for row in rows:
        record = (
            None
            if row.record is None
            else json.dumps(mask_record(row.record, scan_lines), ensure_ascii=False, default=str)
        )
        writer.writerow(
            (
                result.batch_id,
                result.source,
                result.source_object,
                row.source_row,
                row.record_key,
                row.rule,
                row.column_name,
                row.reason,
                record.replace("\\u0000", "") if record else record,
            )
        )
        count += 1
    if count:
        buffer.seek(0)
        cur.copy_expert(
            "copy audit.quarantine (batch_id, source, source_object, source_row, record_key, rule,"
            " column_name, reason, record) from stdin with (format csv)",
            buffer,
        )
    return count


def find_manifest(cur, checksum: str) -> tuple[str, str] | None:
    """Return (batch_id, file_path) of the earlier load of the file with ``checksum``, if any."""
    cur.execute("select batch_id, file_path from audit.file_manifest where checksum_sha256 = %s", (checksum,))
    row = cur.fetchone()
    return (row[0], row[1]) if row else None


def manifest_has_file(cur, file_path: str, size: int) -> bool:
    """Tell whether a file of ``size`` bytes was loaded from ``file_path`` before, whatever its content."""
    cur.execute(
        "select exists (select 1 from audit.file_manifest where file_path = %s and size_bytes = %s)",
        (file_path, size),
    )
    return bool(cur.fetchone()[0])


def register_file(
    cur, checksum: str, file_path: str, file_name: str, entity: str, size: int, result: BatchResult
) -> None:
    cur.execute(
        "insert into audit.file_manifest (checksum_sha256, file_path, file_name, entity, size_bytes,"
        " batch_id, status) values (%s, %s, %s, %s, %s, %s, %s)",
        (checksum, file_path, file_name, entity, size, result.batch_id, result.status),
    )


def problems_message(result: BatchResult, rows: list[QuarantineRow], limit: int = 3) -> str:
    """Summarize quarantined rows: file, record number and rule of the first few."""
    parts = [
        f"{result.source_object} record {row.source_row}: rule {row.rule}: {row.reason}"
        for row in rows[:limit]
    ]
    more = len(rows) - limit
    if more > 0:
        parts.append(f"and {more:,} more in audit.quarantine (batch_id {result.batch_id})")
    return "; ".join(parts)


def ensure_warehouse(url: str, tables: Iterable[str]) -> None:
    """Run ``warehouse.bootstrap`` unless every table in ``tables`` and the audit tables exist.

    Checking first costs one query; a full bootstrap runs its DDL and costs about half a second.
    """
    needed = [*tables, "audit.load_batches", "audit.file_manifest", "audit.quarantine", "audit.watermarks"]
    try:
        conn = psycopg2.connect(psycopg2_dsn(url))
    except psycopg2.OperationalError:
        # The database itself may be missing; bootstrap creates it.
        bootstrap(url)
        return
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select count(*) from unnest(%s::text[]) name where to_regclass(name) is null", (needed,)
            )
            missing = cur.fetchone()[0]
    finally:
        conn.close()
    if missing:
        bootstrap(url)
