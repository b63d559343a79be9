"""Retention keeps the newest backup of each recent day, week and month, and deletes the rest."""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from customer_warehouse.backup import apply_retention, back_up_database
from customer_warehouse.backup.manifest import (
    Manifest,
    TableFingerprint,
    checksum_line,
    new_backup_id,
    object_keys,
)
from customer_warehouse.backup.retention import RetentionPolicy, reasons_to_keep
from customer_warehouse.backup.store import FolderStore


def _at(day: str, hour: int = 3) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _daily(first: str, days: int) -> list[tuple[str, datetime]]:
    start = _at(first)
    return [(f"b{n:03d}", start + timedelta(days=n)) for n in range(days)]


def _kept_days(backups, policy) -> list[str]:
    when = dict(backups)
    return sorted(f"{when[b]:%Y-%m-%d}" for b in reasons_to_keep(backups, policy))


def test_policy_keeps_days_weeks_months():
    # 2026-01-01 to 2026-04-10 (a Friday), one backup a day.
    backups = _daily("2026-01-01", 100)
    kept = _kept_days(backups, RetentionPolicy(daily=7, weekly=4, monthly=3))
    days = [f"2026-04-{d:02d}" for d in range(4, 11)]
    # Weeks: W15 and W14 end on 04-10 and 04-05 (both daily already), W13 on 03-29, W12 on
    # 03-22. Months: April (04-10), March (03-31), February (02-28).
    assert kept == sorted([*days, "2026-03-29", "2026-03-22", "2026-03-31", "2026-02-28"])


def test_policy_takes_newest_of_a_day():
    backups = [
        ("early", _at("2026-05-02", 1)),
        ("late", _at("2026-05-02", 23)),
        ("before", _at("2026-05-01")),
    ]
    reasons = reasons_to_keep(backups, RetentionPolicy(daily=2, weekly=0, monthly=0))
    assert set(reasons) == {"late", "before"}
    assert reasons["late"] == ["newest", "daily 2026-05-02"]


def test_policy_never_drops_newest():
    backups = _daily("2026-06-01", 5)
    assert list(reasons_to_keep(backups, RetentionPolicy(0, 0, 0))) == ["b004"]
    assert reasons_to_keep([], RetentionPolicy(3, 3, 3)) == {}


def test_policy_counts_periods_with_backups_only():
    # Gaps: a period without a backup does not use up a slot.
    backups = [("jan", _at("2026-01-15")), ("mar", _at("2026-03-15")), ("jun", _at("2026-06-15"))]
    reasons = reasons_to_keep(backups, RetentionPolicy(daily=0, weekly=0, monthly=3))
    assert set(reasons) == {"jan", "mar", "jun"}


def _fake_backup(store: FolderStore, database: str, when: datetime) -> str:
    backup_id = new_backup_id(database, when)
    names = object_keys(database, backup_id)
    store.put_bytes(names["dump"], b"age-encryption.org/v1\nnot a real dump")
    store.put_bytes(names["checksum"], checksum_line("0" * 64, names["dump"]))
    manifest = Manifest(
        backup_id=backup_id,
        database=database,
        database_name=database,
        created_at=when.isoformat(),
        finished_at=when.isoformat(),
        size_bytes=37,
        sha256="0" * 64,
        dump_file=names["dump"].rsplit("/", 1)[-1],
        pg_dump_version="pg_dump (PostgreSQL) 15",
        server_version="15",
        encoding="UTF8",
        collate="C",
        ctype="C",
        recipients=["sha256:0000000000000000"],
        tables={"public.t": TableFingerprint(rows=1, checksum="0" * 32)},
    )
    store.put_bytes(names["manifest"], manifest.to_json())
    return backup_id


def test_apply_retention_deletes_unneeded_files(backup_case, caplog):
    cfg = dataclasses.replace(backup_case.settings, keep_daily=3, keep_weekly=2, keep_monthly=2)
    store = FolderStore(cfg.directory)
    ids = [_fake_backup(store, "vault", _at("2026-03-01") + timedelta(days=n)) for n in range(40)]
    other = _fake_backup(store, "warehouse", _at("2026-01-01"))
    orphan = "vault/vault-20260101T000000Z.dump.age"
    store.put_bytes(orphan, b"left by an interrupted backup")
    caplog.set_level(logging.INFO)

    kept, deleted = apply_retention(cfg, "vault", store)

    # 2026-04-09 is a Thursday: days 04-07..04-09; weeks W15 (04-09) and W14 (04-05);
    # months April (04-09) and March (03-31).
    expected = {
        new_backup_id("vault", _at(d))
        for d in ("2026-04-07", "2026-04-08", "2026-04-09", "2026-04-05", "2026-03-31")
    }
    assert {b.backup_id for b in kept} == expected
    assert len(deleted) == 40 - len(expected)
    remaining = set(store.list_keys("vault/"))
    for backup_id in ids:
        names = set(object_keys("vault", backup_id).values())
        if backup_id in expected:
            assert names <= remaining, f"{backup_id} was deleted but the policy keeps it"
        else:
            assert not names & remaining, f"{backup_id} is unneeded but some of its files remain"
    assert orphan in remaining
    assert set(object_keys("warehouse", other).values()) <= set(store.list_keys("warehouse/"))
    deleted_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retention deleted")]
    assert len(deleted_lines) == len(deleted)
    assert any(new_backup_id("vault", _at("2026-04-06")) in line for line in deleted_lines)
    assert any("has no manifest" in r.getMessage() and orphan in r.getMessage() for r in caplog.records)


def test_retention_records_deletions(backup_case):
    cfg = dataclasses.replace(backup_case.settings, keep_daily=0, keep_weekly=0, keep_monthly=0)
    first = back_up_database(cfg, "vault")
    time.sleep(1.1)  # backup ids have one-second resolution
    second = back_up_database(cfg, "vault")
    kept, deleted = apply_retention(cfg, "vault")
    assert [b.backup_id for b in kept] == [second.backup_id]
    assert [b.backup_id for b in deleted] == [first.backup_id]
    eng = sa.create_engine(backup_case.urls["warehouse"])
    with eng.connect() as conn:
        rows = dict(
            conn.execute(sa.text("select backup_id, deleted_at is not null from audit.backups")).all()
        )
    eng.dispose()
    assert rows == {first.backup_id: True, second.backup_id: False}
