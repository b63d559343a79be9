"""Retention of backups: keep the newest of each of the last N days, M ISO weeks and K months.

For each period kind the policy walks the backups from newest to oldest and keeps the
first one of each period it has not seen yet, until it has kept as many periods as the
policy allows. A backup kept for any reason stays; the newest backup always stays, even
with every count at zero. Periods are counted in UTC. Only complete backups (those with a
manifest) take part: objects without a manifest are left alone and reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from customer_warehouse.backup.audit import AuditLog
from customer_warehouse.backup.catalog import StoredBackup, list_backups, orphan_keys
from customer_warehouse.backup.manifest import object_keys
from customer_warehouse.backup.store import BackupStore, open_store
from customer_warehouse.config import BackupSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionPolicy:
    daily: int
    weekly: int
    monthly: int

    @classmethod
    def from_settings(cls, cfg: BackupSettings) -> RetentionPolicy:
        return cls(daily=cfg.keep_daily, weekly=cfg.keep_weekly, monthly=cfg.keep_monthly)


PERIODS: dict[str, Callable[[datetime], str]] = {
    "daily": lambda t: f"{t:%Y-%m-%d}",
    "weekly": lambda t: "{}-W{:02d}".format(*t.isocalendar()[:2]),
    "monthly": lambda t: f"{t:%Y-%m}",
}


def reasons_to_keep(created: Iterable[tuple[str, datetime]], policy: RetentionPolicy) -> dict[str, list[str]]:
    """Return, for each backup id the policy keeps, why (e.g. ``daily 2026-12-04``).

    ``created`` holds (backup id, UTC creation time) pairs; ids missing from the result are
    no longer needed.
    """
    newest_first = sorted(created, key=lambda item: item[1], reverse=True)
    reasons: dict[str, list[str]] = {}
    if newest_first:
        reasons[newest_first[0][0]] = ["newest"]
    for kind, period_of in PERIODS.items():
        limit = getattr(policy, kind)
        seen: set[str] = set()
        for backup_id, when in newest_first:
            if len(seen) >= limit:
                break
            period = period_of(when)
            if period not in seen:
                seen.add(period)
                reasons.setdefault(backup_id, []).append(f"{kind} {period}")
    return reasons


def apply_retention(
    cfg: BackupSettings, database: str, store: BackupStore | None = None
) -> tuple[list[StoredBackup], list[StoredBackup]]:
    """Delete the backups of ``database`` the policy no longer needs; return (kept, deleted)."""
    store = store or open_store(cfg)
    policy = RetentionPolicy.from_settings(cfg)
    backups = list_backups(store, database)
    keep = reasons_to_keep(((b.backup_id, b.created) for b in backups), policy)
    kept = [b for b in backups if b.backup_id in keep]
    deleted = [b for b in backups if b.backup_id not in keep]
    for backup in deleted:
        names = object_keys(database, backup.backup_id)
        # The manifest goes first: if a later delete fails, what is left is never listed as a backup.
        store.delete([names["manifest"]])
        store.delete([names["dump"], names["checksum"]])
        log.info(
            "retention deleted backup %s of database %s (created %s) from %s: outside %s",
            backup.backup_id,
            database,
            backup.created_at,
            store.uri,
            policy,
        )
    AuditLog(cfg.audit_url).backups_deleted([b.backup_id for b in deleted])
    for key in orphan_keys(store, database):
        log.warning("%s/%s has no manifest: an interrupted backup left it; delete it by hand", store.uri, key)
    log.info(
        "retention of database %s in %s: kept %d backups, deleted %d (%s)",
        database,
        store.uri,
        len(kept),
        len(deleted),
        policy,
    )
    return kept, deleted
