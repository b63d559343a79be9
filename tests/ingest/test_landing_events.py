"""load_landing on clickstream JSON-lines files in events/."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from customer_warehouse.ingest import load_landing
from customer_warehouse.pii.keys import Pseudonymizer
from tests.ingest.helpers import assert_reconciles, by_object, land, quarantine_of, query, scalar


def _event(number: int, **fields) -> str:
    event = {
        "event_id": f"e{number}",
        "event_type": "page_view",
        "occurred_at": "2026-11-30T10:00:00.123456+00:00",
        "session_id": "s1",
        "customer_id": 42,
        "page_url": "/products/7",
        "product_id": 7,
        "properties": {"referrer": "search", "position": 3},
    }
    event.update(fields)
    return json.dumps(event)


def test_events_load_with_lineage(settings):
    land(settings, "events/2026-11-30/events-001.jsonl", "\n".join(_event(i) for i in range(1, 4)) + "\n")
    result = by_object(load_landing(settings, "run1"), "events-001.jsonl")
    assert result.status == "loaded"
    assert result.target_table == "raw.shop_events"
    assert result.rows_loaded == 3
    rows = query(
        settings.warehouse_url,
        "select event_id, occurred_at, customer_id, properties, _source, _source_row"
        " from raw.shop_events order by event_id",
    )
    first = rows[0]
    assert first[1] == datetime(2026, 11, 30, 10, 0, 0, 123456, tzinfo=UTC)
    assert first[2] == 42
    assert first[3] == {"referrer": "search", "position": 3}
    assert first[4] == "events"
    assert [row[5] for row in rows] == [1, 2, 3]


def test_invalid_json_line_is_quarantined(settings):
    lines = [_event(1), '{"event_id": "e2", "event_type": ', "", _event(3), "[1, 2]"]
    land(settings, "events/events-002.jsonl", "\n".join(lines) + "\n")
    land(settings, "events/events-003.jsonl", _event(9) + "\n")
    results = load_landing(settings, "run1")
    result = by_object(results, "events-002.jsonl")
    assert by_object(results, "events-003.jsonl").status == "loaded"
    assert result.status == "partial"
    assert result.rows_read == 4
    assert result.rows_loaded == 2
    assert_reconciles(result)
    assert "events/events-002.jsonl record 2: rule json" in result.message
    quarantined = quarantine_of(settings.warehouse_url, result.batch_id)
    assert [(row[0], row[1]) for row in quarantined] == [(2, "json"), (5, "json")]
    assert quarantined[0][4] == {"_line": '{"event_id": "e2", "event_type": '}


def test_event_rules_apply_per_record(settings):
    lines = [
        _event(1),
        _event(2, occurred_at="yesterday"),
        _event(3, occurred_at="2999-01-01T00:00:00Z"),
        _event(4, event_id=None),
        _event(5, customer_id="forty-two"),
        _event(6, occurred_at="2026-11-30 10:00:00"),
    ]
    land(settings, "events/events-004.jsonl", "\n".join(lines))
    result = by_object(load_landing(settings, "run1"), "events-004.jsonl")
    rules = [(row[0], row[1], row[2]) for row in quarantine_of(settings.warehouse_url, result.batch_id)]
    assert rules == [
        (2, "timestamp", "occurred_at"),
        (3, "not_future", "occurred_at"),
        (4, "not_null", "event_id"),
        (5, "integer", "customer_id"),
    ]
    # A timestamp without a zone is read as UTC.
    naive = scalar(settings.warehouse_url, "select occurred_at from raw.shop_events where event_id = 'e6'")
    assert naive == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def test_unknown_event_keys_kept_in_properties(settings):
    land(settings, "events/events-005.jsonl", _event(1, experiment="b") + "\n")
    result = by_object(load_landing(settings, "run1"), "events-005.jsonl")
    assert result.status == "loaded"
    assert "experiment" in result.message
    properties = scalar(settings.warehouse_url, "select properties from raw.shop_events")
    assert properties["_extra"] == {"experiment": "b"}


def test_unknown_events_file_is_rejected(settings):
    land(settings, "events/events-006.csv", "a,b\n1,2\n")
    result = by_object(load_landing(settings, "run1"), "events-006.csv")
    assert result.status == "rejected"
    assert "*.jsonl" in result.message


def test_event_identifiers_become_keys(settings):
    lines = [
        _event(1, device_id="web-1a2b3c4d5e6f", ip="198.51.100.23", anonymous_id="anon-77"),
        _event(2, device_id="web-1a2b3c4d5e6f", ip=" 198.51.100.23 ", anonymous_id=None),
    ]
    land(settings, "events/2026-11-30/events-keys.jsonl", "\n".join(lines) + "\n")
    load_landing(settings, "run1")
    keys = Pseudonymizer.from_env()
    rows = query(
        settings.warehouse_url,
        "select device_key, ip_key, anonymous_key from raw.shop_events order by event_id",
    )
    device, ip = keys.key("device", "web-1a2b3c4d5e6f"), keys.key("ip", "198.51.100.23")
    assert rows == [(device, ip, keys.key("anonymous", "anon-77")), (device, ip, None)]
    dump = scalar(settings.warehouse_url, "select string_agg(t::text, ' ') from raw.shop_events t")
    assert "198.51.100.23" not in dump
    assert "web-1a2b3c4d5e6f" not in dump


def test_quarantined_event_is_masked(settings):
    bad_json = '{"event_id": "e9", "ip": "198.51.100.23", "email": "li.na@example.cn", "device_id": "web-99'
    future = _event(3, occurred_at="2999-01-01T00:00:00+00:00", ip="203.0.113.9", device_id="web-0a0b0c")
    land(settings, "events/2026-11-30/events-bad.jsonl", bad_json + "\n" + future + "\n")
    result = by_object(load_landing(settings, "run1"), "events-bad.jsonl")
    assert result.rows_quarantined == 2
    records = scalar(settings.warehouse_url, "select string_agg(record::text, ' ') from audit.quarantine")
    for value in ("198.51.100.23", "li.na@example.cn", "203.0.113.9", "web-0a0b0c"):
        assert value not in records
    assert "***@example.cn" in records
