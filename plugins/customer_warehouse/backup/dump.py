"""Take one encrypted backup of one database.

The steps stream their data. A repeatable-read transaction exports its snapshot, and
``pg_dump --format=custom --snapshot`` writes the dump into a private temporary folder
while the same transaction counts and checksums every table. The dump is then encrypted
with age to the configured recipients, and the ciphertext is hashed on its way to the
store. The ``.sha256`` file follows, and the manifest comes last: a backup without a
manifest is incomplete and never listed.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

import pyrage
from sqlalchemy.engine import make_url

from customer_warehouse.backup import keys, pgtools
from customer_warehouse.backup.audit import AuditLog
from customer_warehouse.backup.manifest import Manifest, checksum_line, new_backup_id, object_keys
from customer_warehouse.backup.store import BackupStore, open_store, private_tempdir
from customer_warehouse.config import BackupSettings

log = logging.getLogger(__name__)


class DatabaseMissingError(LookupError):
    """A configured database does not exist on its server, so there is nothing to back up."""


class BackupExistsError(FileExistsError):
    """A backup with the same id (database and second) is already stored."""


@dataclass(frozen=True)
class BackupResult:
    backup_id: str
    database: str
    location: str
    size_bytes: int
    sha256: str
    tables: int
    rows: int
    seconds: float

    def summary(self) -> dict:
        """Return a small JSON-serializable dict for XCom, without any secret."""
        return {
            "backup_id": self.backup_id,
            "database": self.database,
            "location": self.location,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "tables": self.tables,
            "rows": self.rows,
        }


class HashingWriter:
    """Binary stream wrapper that computes the SHA-256 and size of everything written through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()


def back_up_database(
    cfg: BackupSettings, database: str, run_id: str | None = None, store: BackupStore | None = None
) -> BackupResult:
    """Back up one configured database; raise DatabaseMissingError when it does not exist."""
    url = _checked_url(cfg, database)
    recipients = keys.parse_recipients(cfg.recipients)
    store = store or open_store(cfg)
    started = datetime.now(UTC)
    backup_id = new_backup_id(database, started)
    names = object_keys(database, backup_id)
    if store.exists(names["manifest"]) or store.exists(names["dump"]):
        raise BackupExistsError(
            f"backup {backup_id} already exists in {store.uri}: backups of one database are at most "
            "one a second; run it again"
        )
    audit = AuditLog(cfg.audit_url)
    source_name = make_url(url).database
    audit.backup_started(backup_id, database, source_name, run_id, store.uri)
    log.info("backing up database %s (%s) as %s into %s", database, source_name, backup_id, store.uri)
    clock = time.monotonic()
    try:
        manifest = _dump_encrypt_store(cfg, database, url, backup_id, started, recipients, store, run_id)
    except BaseException as error:
        _discard(store, [names["dump"], names["checksum"]])
        audit.backup_finished(backup_id, "failed", error=str(error)[:2000])
        log.error("backup %s of database %s failed: %s", backup_id, database, error)
        raise
    result = BackupResult(
        backup_id=backup_id,
        database=database,
        location=f"{store.uri}/{names['dump']}",
        size_bytes=manifest.size_bytes,
        sha256=manifest.sha256,
        tables=len(manifest.tables),
        rows=sum(t.rows for t in manifest.tables.values()),
        seconds=time.monotonic() - clock,
    )
    _record_success(audit, result, manifest)
    return result


def _checked_url(cfg: BackupSettings, database: str) -> str:
    url = cfg.database_url(database)
    if make_url(url).get_backend_name() != "postgresql":
        raise ValueError(
            f"database {database} at {pgtools.safe_url(url)} is not PostgreSQL, and backups use "
            "pg_dump: back it up with its own tools and remove it from CW_BACKUP_DATABASES"
        )
    if not pgtools.database_exists(url):
        raise DatabaseMissingError(f"database {database} ({pgtools.safe_url(url)}) does not exist")
    return url


def _record_success(audit: AuditLog, result: BackupResult, manifest: Manifest) -> None:
    fields = {
        "size_bytes": result.size_bytes,
        "sha256": result.sha256,
        "tables": result.tables,
        "rows_total": result.rows,
        "pg_dump_version": manifest.pg_dump_version,
        "recipients": manifest.recipients,
    }
    audit.backup_finished(result.backup_id, "succeeded", fields)
    log.info(
        "backed up database %s as %s: %d tables, %d rows, %d bytes encrypted, sha256 %s (%.1f s)",
        result.database,
        result.backup_id,
        result.tables,
        result.rows,
        result.size_bytes,
        result.sha256,
        result.seconds,
    )


def _discard(store: BackupStore, keys_to_delete: list[str]) -> None:
    try:
        store.delete(keys_to_delete)
    except Exception as error:  # noqa: BLE001 - the backup's own error is the one to raise
        log.warning("could not delete the partial objects %s from %s: %s", keys_to_delete, store.uri, error)


def _dump_encrypt_store(cfg, database, url, backup_id, started, recipients, store, run_id) -> Manifest:
    names = object_keys(database, backup_id)
    version = pgtools.pg_dump_version(cfg.pg_bin_dir)
    with private_tempdir(cfg.temp_dir) as scratch:
        plain = scratch / f"{backup_id}.dump"
        with pgtools.exported_snapshot(url, cfg.lock_timeout_seconds) as (conn, snapshot):
            info = pgtools.database_info(conn)
            process = pgtools.start_dump(url, plain, snapshot, cfg.lock_timeout_seconds, cfg.pg_bin_dir)
            try:
                tables = pgtools.table_fingerprints(conn)
            except BaseException:
                process.kill()
                process.wait()
                raise
            pgtools.finish_dump(process, database)
        log.info("dumped database %s: %d bytes before encryption", database, plain.stat().st_size)
        with open(plain, "rb") as source, store.writer(names["dump"], scratch) as target:
            hashing = HashingWriter(target)
            pyrage.encrypt_io(source, hashing, recipients)
        plain.unlink()
    sha256 = hashing.digest.hexdigest()
    store.put_bytes(names["checksum"], checksum_line(sha256, names["dump"]))
    manifest = Manifest(
        backup_id=backup_id,
        database=database,
        database_name=info["name"],
        created_at=started.isoformat(),
        finished_at=datetime.now(UTC).isoformat(),
        size_bytes=hashing.size,
        sha256=sha256,
        dump_file=names["dump"].rsplit("/", 1)[-1],
        pg_dump_version=version,
        server_version=info["server_version"],
        encoding=info["encoding"],
        collate=info["collate"],
        ctype=info["ctype"],
        recipients=[keys.fingerprint(text) for text in cfg.recipients],
        tables=tables,
        run_id=run_id,
    )
    store.put_bytes(names["manifest"], manifest.to_json())
    return manifest
