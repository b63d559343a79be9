"""Retention of landed files: loaded files past the period are deleted, unloaded ones kept."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from customer_warehouse.ingest import load_landing
from customer_warehouse.retention import purge_landing, retention_days
from tests.ingest.helpers import land, query

NOW = datetime.now(UTC)


def _age(path, days: int) -> None:
    stamp = (NOW - timedelta(days=days)).timestamp()
    os.utime(path, (stamp, stamp))


def _event(event_id: str) -> str:
    return (
        f'{{"event_id": "{event_id}", "event_type": "page_view", "occurred_at": "2026-11-30T10:00:00+00:00",'
        ' "device_id": "web-aa11bb22cc33", "ip": "198.51.100.7"}\n'
    )


def test_loaded_old_file_deleted(settings):
    old = land(settings, "events/2026-10-01/events-old.jsonl", _event("e1"))
    recent = land(settings, "events/2026-11-30/events-new.jsonl", _event("e2"))
    load_landing(settings, "run1")
    _age(old, 40)
    result = purge_landing(settings, "run2", days=30, now=NOW)
    assert result.deleted == ["events/2026-10-01/events-old.jsonl"]
    assert not old.exists()
    assert not old.parent.exists()
    assert recent.exists()
    logged = query(settings.warehouse_url, "select run_id, file_path from audit.retention_purges")
    assert logged == [("run2", "events/2026-10-01/events-old.jsonl")]


def test_unloaded_old_file_kept(settings):
    path = land(settings, "events/2026-10-01/events-late.jsonl", _event("e3"))
    _age(path, 40)
    result = purge_landing(settings, "run1", days=30, now=NOW)
    assert result.deleted == []
    assert result.kept_unloaded == ["events/2026-10-01/events-late.jsonl"]
    assert path.exists()


def test_changed_content_not_deleted(settings):
    path = land(settings, "events/2026-10-01/events-a.jsonl", _event("e4"))
    load_landing(settings, "run1")
    path.write_text(_event("e5"))
    _age(path, 40)
    result = purge_landing(settings, "run2", days=30, now=NOW)
    assert result.deleted == []
    assert path.exists()


def test_zero_days_keeps_everything(settings):
    path = land(settings, "events/2026-10-01/events-b.jsonl", _event("e6"))
    load_landing(settings, "run1")
    _age(path, 400)
    assert purge_landing(settings, "run2", days=0, now=NOW).deleted == []
    assert path.exists()


@pytest.mark.parametrize("value", ["-1", "thirty"])
def test_invalid_retention_setting(monkeypatch, value):
    monkeypatch.setenv("CW_LANDING_RETENTION_DAYS", value)
    with pytest.raises(ValueError, match="CW_LANDING_RETENTION_DAYS"):
        retention_days()
