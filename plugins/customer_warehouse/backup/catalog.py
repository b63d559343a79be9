"""Finding stored backups: one per manifest, newest first."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from customer_warehouse.backup.manifest import (
    CHECKSUM_SUFFIX,
    DUMP_SUFFIX,
    MANIFEST_SUFFIX,
    Manifest,
    ManifestError,
)
from customer_warehouse.backup.store import BackupStore

log = logging.getLogger(__name__)


class BackupNotFoundError(LookupError):
    """No complete backup matches the database or id asked for."""


@dataclass(frozen=True)
class StoredBackup:
    manifest: Manifest

    @property
    def backup_id(self) -> str:
        return self.manifest.backup_id

    @property
    def created(self) -> datetime:
        return self.manifest.created

    @property
    def created_at(self) -> str:
        return self.manifest.created_at


def list_backups(store: BackupStore, database: str) -> list[StoredBackup]:
    """Return the complete backups of ``database``, newest first; skip unreadable manifests with a warning."""
    backups = []
    for key in store.list_keys(f"{database}/"):
        if not key.endswith(MANIFEST_SUFFIX):
            continue
        try:
            manifest = Manifest.from_json(store.read_bytes(key), f"{store.uri}/{key}")
        except ManifestError as error:
            log.warning("skipping backup manifest %s/%s: %s", store.uri, key, error)
            continue
        backups.append(StoredBackup(manifest))
    return sorted(backups, key=lambda b: b.created, reverse=True)


def orphan_keys(store: BackupStore, database: str) -> list[str]:
    """Return the dump and checksum objects of ``database`` that have no manifest."""
    keys = store.list_keys(f"{database}/")
    manifests = {k[: -len(MANIFEST_SUFFIX)] for k in keys if k.endswith(MANIFEST_SUFFIX)}
    orphans = []
    for key in keys:
        for suffix in (CHECKSUM_SUFFIX, DUMP_SUFFIX):
            if key.endswith(suffix):
                if key[: -len(suffix)] not in manifests:
                    orphans.append(key)
                break
    return orphans


def find_backup(store: BackupStore, database: str, backup_id: str | None = None) -> StoredBackup:
    """Return backup ``backup_id`` of ``database``, or its newest backup when no id is given."""
    backups = list_backups(store, database)
    if backup_id is None:
        if not backups:
            raise BackupNotFoundError(
                f"no backup of database {database} in {store.uri}: run `cw backup run --database {database}`"
            )
        return backups[0]
    for backup in backups:
        if backup.backup_id == backup_id:
            return backup
    known = ", ".join(b.backup_id for b in backups[:5]) or "none"
    raise BackupNotFoundError(
        f"backup {backup_id} of database {database} not found in {store.uri} (newest: {known}); "
        "see `cw backup list`"
    )
