"""Retention of landed files: delete what was loaded once it is older than the retention period.

Landed files keep the source's own values, direct identifiers included (clickstream
files carry device ids and IP addresses), so they may stay only as long as
``CW_LANDING_RETENTION_DAYS`` says. A file is deleted when its modification time is older
than the period and its content (SHA-256) is in ``audit.file_manifest``, meaning raw
already holds it. A file that was never loaded is kept and reported, because deleting
it would lose data. Each deletion is recorded in ``audit.retention_purges``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

from customer_warehouse.config import Settings
from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.ingest import batches
from customer_warehouse.ingest.files import inspect_file
from customer_warehouse.ingest.landing import landed_files

log = logging.getLogger(__name__)

RETENTION_VARIABLE = "CW_LANDING_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30


@dataclass
class PurgeResult:
    """Files deleted, files kept because they were never loaded, and bytes freed."""

    deleted: list[str] = field(default_factory=list)
    kept_unloaded: list[str] = field(default_factory=list)
    bytes_freed: int = 0


def retention_days() -> int:
    """Return the landing retention in days from the environment (0 disables purging)."""
    text = os.environ.get(RETENTION_VARIABLE, str(DEFAULT_RETENTION_DAYS))
    try:
        days = int(text)
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(
            f"{RETENTION_VARIABLE}={text!r} is invalid: give a whole number of days, 0 to keep files"
        )
    return days


def purge_landing(
    settings: Settings, run_id: str, days: int | None = None, now: datetime | None = None
) -> PurgeResult:
    """Delete landed files older than ``days`` whose content is loaded; return what was done."""
    days = retention_days() if days is None else days
    result = PurgeResult()
    if days == 0:
        log.info("landing retention is off (%s=0): nothing purged (run %s)", RETENTION_VARIABLE, run_id)
        return result
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    batches.ensure_warehouse(settings.warehouse_url, [])
    conn = psycopg2.connect(psycopg2_dsn(settings.warehouse_url))
    try:
        for _, path in landed_files(settings.landing_dir):
            modified = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if modified < cutoff:
                _purge_file(conn, settings, run_id, path, modified, result)
    finally:
        conn.close()
    _remove_empty_folders(settings.landing_dir)
    log.info(
        "purged %s landed files older than %s days (%s bytes), kept %s never loaded (run %s)",
        f"{len(result.deleted):,}",
        days,
        f"{result.bytes_freed:,}",
        f"{len(result.kept_unloaded):,}",
        run_id,
    )
    return result


def _purge_file(
    conn, settings: Settings, run_id: str, path: Path, modified: datetime, result: PurgeResult
) -> None:
    facts = inspect_file(path, settings.landing_dir)
    with conn, conn.cursor() as cur:
        loaded = batches.find_manifest(cur, facts.checksum)
        if loaded is None:
            result.kept_unloaded.append(facts.relative)
            log.warning(
                "%s is older than the retention period but was never loaded, so it is kept; "
                "load it or move it out of the landing folder (run %s)",
                facts.relative,
                run_id,
            )
            return
        cur.execute(
            "insert into audit.retention_purges (run_id, file_path, checksum_sha256, size_bytes,"
            " modified_at, loaded_batch_id) values (%s, %s, %s, %s, %s, %s)",
            (run_id, facts.relative, facts.checksum, facts.size, modified, loaded[0]),
        )
        path.unlink()
    result.deleted.append(facts.relative)
    result.bytes_freed += facts.size


def _remove_empty_folders(landing_dir: Path) -> None:
    for folder in sorted(
        (p for p in landing_dir.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True
    ):
        if folder.parent != landing_dir and not any(folder.iterdir()):
            folder.rmdir()
