"""Restores and restore drills: verify, decrypt, restore, compare with the manifest.

Both start the same way: fetch the encrypted dump, check its SHA-256 against the manifest
and the ``.sha256`` file, decrypt it with the identities into a private temporary folder,
and ``pg_restore`` it into a new database created from template0. Then every table's row
count and checksum are compared with the manifest, taken in pg_dump's snapshot.

- A drill restores into ``<database>_restore_drill`` and drops it afterwards.
- A restore fills ``<target>_restore_tmp`` first and renames it to the target only when
  every table matches, so a failed restore leaves the target as it was.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyrage
from sqlalchemy.engine import make_url

from customer_warehouse.backup import keys, pgtools
from customer_warehouse.backup.audit import AuditLog, CheckOutcome
from customer_warehouse.backup.catalog import StoredBackup, find_backup
from customer_warehouse.backup.manifest import Manifest, TableFingerprint, object_keys
from customer_warehouse.backup.store import BackupStore, open_store, private_tempdir
from customer_warehouse.config import BackupSettings

log = logging.getLogger(__name__)

DRILL_SUFFIX = "_restore_drill"
STAGING_SUFFIX = "_restore_tmp"
# PostgreSQL truncates identifiers longer than this, so scratch names must fit.
MAX_DATABASE_NAME = 63
READ_CHUNK = 1 << 20


class ChecksumMismatchError(ValueError):
    """An encrypted dump does not have the SHA-256 its manifest records."""


class IdentityMismatchError(ValueError):
    """None of the configured identities can decrypt a backup."""


class TargetNotEmptyError(RuntimeError):
    """The restore target contains tables and overwriting was not requested."""


class RestoreMismatchError(AssertionError):
    """The restored database differs from the manifest taken at backup time."""

    def __init__(self, message: str, result: RestoreResult) -> None:
        super().__init__(message)
        self.result = result
        self.mismatches = result.mismatches


@dataclass
class RestoreResult:
    backup_id: str
    database: str
    target_database: str
    tables: int
    rows: int
    seconds: float
    mismatches: list[dict] = field(default_factory=list)

    def outcome(self) -> CheckOutcome:
        status = "failed" if self.mismatches else "passed"
        return CheckOutcome(status, self.tables, self.rows, self.mismatches)

    def summary(self) -> dict:
        return {
            "backup_id": self.backup_id,
            "database": self.database,
            "target_database": self.target_database,
            "tables": self.tables,
            "rows": self.rows,
        }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_verified(store: BackupStore, backup: StoredBackup, scratch: Path) -> Path:
    """Return a local path of the encrypted dump after checking its SHA-256; raise ChecksumMismatchError."""
    manifest = backup.manifest
    names = object_keys(manifest.database, manifest.backup_id)
    path = store.local_copy(names["dump"], scratch)
    recorded = store.read_bytes(names["checksum"]).decode("ascii").split()[0]
    actual = sha256_of(path)
    where = f"{store.uri}/{names['dump']}"
    if recorded != manifest.sha256:
        raise ChecksumMismatchError(
            f"backup {manifest.backup_id}: {where}.sha256 records {recorded} but the manifest records "
            f"{manifest.sha256}; one of them was altered. Restore another backup with --backup"
        )
    if actual != manifest.sha256:
        raise ChecksumMismatchError(
            f"backup file {where} fails its SHA-256 check: expected {manifest.sha256}, computed {actual}. "
            "The file is damaged or was altered; restore another backup with --backup (see `cw backup list`)"
        )
    log.info("verified the SHA-256 of %s (%d bytes)", where, path.stat().st_size)
    return path


def decrypt(encrypted: Path, plain: Path, manifest: Manifest) -> None:
    """Decrypt ``encrypted`` into ``plain`` with the configured identities."""
    identities = keys.load_identities()
    try:
        with open(encrypted, "rb") as source, open(plain, "wb") as target:
            pyrage.decrypt_io(source, target, identities)
    except pyrage.DecryptError as error:
        plain.unlink(missing_ok=True)
        raise IdentityMismatchError(
            f"cannot decrypt backup {manifest.backup_id} ({encrypted.name}): {error}. It was encrypted to "
            f"recipients {', '.join(manifest.recipients)}, the configured identities belong to "
            f"{', '.join(keys.identity_fingerprints(identities))}. Set {keys.IDENTITY_FILE_VARIABLE} "
            "to the identity of one of those recipients"
        ) from error


def compare(expected: dict[str, TableFingerprint], actual: dict[str, TableFingerprint]) -> list[dict]:
    """Return one entry per table whose restored rows differ from the manifest."""
    mismatches = []
    for table in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(table), actual.get(table)
        if got is None:
            problem = f"missing after restore ({want.rows} rows in the backup)"
        elif want is None:
            problem = f"not in the backup manifest but restored with {got.rows} rows"
        elif want.rows != got.rows:
            problem = f"{want.rows} rows at backup time, {got.rows} restored ({got.rows - want.rows:+d})"
        elif want.checksum != got.checksum:
            problem = f"same row count ({got.rows}) but the checksum differs: values changed"
        else:
            continue
        mismatches.append(
            {
                "table": table,
                "problem": problem,
                "expected_rows": want.rows if want else None,
                "restored_rows": got.rows if got else None,
            }
        )
    return mismatches


def _scratch_name(base: str, suffix: str) -> str:
    name = base + suffix
    if len(name) > MAX_DATABASE_NAME:
        raise ValueError(f"scratch database name {name} is longer than {MAX_DATABASE_NAME} characters")
    return name


def restore_and_verify(
    cfg: BackupSettings, store: BackupStore, backup: StoredBackup, target_url: str, keep_owners: bool = True
) -> RestoreResult:
    """Create the database of ``target_url``, restore ``backup`` into it and compare with the manifest."""
    manifest = backup.manifest
    target = make_url(target_url).database
    clock = time.monotonic()
    with private_tempdir(cfg.temp_dir) as scratch:
        encrypted = fetch_verified(store, backup, scratch)
        plain = scratch / f"{manifest.backup_id}.dump"
        decrypt(encrypted, plain, manifest)
        pgtools.create_database(target_url, manifest.encoding, manifest.collate, manifest.ctype)
        pgtools.restore(target_url, plain, cfg.pg_bin_dir, keep_owners)
    actual = pgtools.fingerprints_of(target_url)
    mismatches = compare(manifest.tables, actual)
    result = RestoreResult(
        backup_id=manifest.backup_id,
        database=manifest.database,
        target_database=target,
        tables=len(actual),
        rows=sum(t.rows for t in actual.values()),
        seconds=time.monotonic() - clock,
        mismatches=mismatches,
    )
    if mismatches:
        lines = "; ".join(f"{m['table']}: {m['problem']}" for m in mismatches)
        raise RestoreMismatchError(
            f"backup {manifest.backup_id} restored into {target} differs from its manifest in "
            f"{len(mismatches)} tables: {lines}",
            result,
        )
    return result


def run_drill(cfg: BackupSettings, database: str, run_id: str | None = None) -> RestoreResult:
    """Restore the newest backup of ``database`` into a scratch database, compare, drop it."""
    store = open_store(cfg)
    backup = find_backup(store, database)
    drill_url = cfg.drill_url(database)
    scratch_url = pgtools.server_url(drill_url, _scratch_name(backup.manifest.database_name, DRILL_SUFFIX))
    scratch_name = make_url(scratch_url).database
    # A drill role of its own (CW_BACKUP_DRILL_URL_<NAME>) owns what it restores: the drill
    # compares rows, and that role may not take on the original owners.
    keep_owners = make_url(drill_url).username == make_url(cfg.database_url(database)).username
    audit = AuditLog(cfg.audit_url)
    drill_id = audit.drill_started("drill", backup.backup_id, database, scratch_name, run_id)
    log.info("restore drill of backup %s into scratch database %s", backup.backup_id, scratch_name)
    # A scratch database left by an interrupted drill is dropped first.
    pgtools.drop_database(scratch_url)
    try:
        result = restore_and_verify(cfg, store, backup, scratch_url, keep_owners)
    except BaseException as error:
        audit.drill_finished(drill_id, backup.backup_id, CheckOutcome.failed(error))
        log.error("restore drill of backup %s failed: %s", backup.backup_id, error)
        raise
    finally:
        pgtools.drop_database(scratch_url)
    audit.drill_finished(drill_id, backup.backup_id, result.outcome())
    log.info(
        "restore drill of backup %s passed: %d tables, %d rows match the manifest (%.1f s); dropped %s",
        backup.backup_id,
        result.tables,
        result.rows,
        result.seconds,
        scratch_name,
    )
    return result


def restore_backup(
    cfg: BackupSettings,
    database: str,
    backup_id: str | None = None,
    target_database: str | None = None,
    overwrite: bool = False,
) -> RestoreResult:
    """Restore a backup of ``database`` into ``target_database`` (default: the configured database).

    A target that holds tables is replaced only with ``overwrite``. The backup is restored
    and verified in a staging database first; only then is the old target dropped and the
    staging database renamed to the target.
    """
    store = open_store(cfg)
    backup = find_backup(store, database, backup_id)
    source_url = cfg.database_url(database)
    target_url = pgtools.server_url(source_url, target_database or make_url(source_url).database)
    target = make_url(target_url).database
    exists = pgtools.database_exists(target_url)
    if exists and not overwrite:
        tables = pgtools.user_table_count(target_url)
        if tables:
            raise TargetNotEmptyError(
                f"database {target} already contains {tables} tables, views or sequences: restore into "
                "another database with --target-database, or pass --overwrite to replace it"
            )
    staging_url = pgtools.server_url(target_url, _scratch_name(target, STAGING_SUFFIX))
    pgtools.drop_database(staging_url)
    log.info(
        "restoring backup %s into %s (staged in %s)", backup.backup_id, target, make_url(staging_url).database
    )
    audit = AuditLog(cfg.audit_url)
    try:
        result = restore_and_verify(cfg, store, backup, staging_url)
    except BaseException as error:
        pgtools.drop_database(staging_url)
        audit.restore_recorded(backup.backup_id, database, target, CheckOutcome.failed(error))
        raise
    _swap_in(target_url, staging_url, replace_existing=exists)
    result.target_database = target
    audit.restore_recorded(backup.backup_id, database, target, result.outcome())
    log.info(
        "restored backup %s into database %s: %d tables, %d rows match the manifest (%.1f s)",
        backup.backup_id,
        target,
        result.tables,
        result.rows,
        result.seconds,
    )
    return result


def _swap_in(target_url: str, staging_url: str, replace_existing: bool) -> None:
    """Give the verified staging database the target's name, dropping the old target if any."""
    target = make_url(target_url).database
    staging = make_url(staging_url).database
    if not replace_existing:
        pgtools.rename_database(target_url, staging, target)
        return
    replaced_url = pgtools.server_url(target_url, _scratch_name(target, "_replaced"))
    replaced = make_url(replaced_url).database
    pgtools.drop_database(replaced_url)
    pgtools.rename_database(target_url, target, replaced)
    try:
        pgtools.rename_database(target_url, staging, target)
    except Exception:
        pgtools.rename_database(target_url, replaced, target)
        raise
    pgtools.drop_database(replaced_url)
    log.info("replaced database %s with the restored copy and dropped the old one", target)
