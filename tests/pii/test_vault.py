"""The PII vault: encrypted upserts, reads and key rotation on a real PostgreSQL database."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.pii.crypto import KeyRing, VaultKeyError, new_key_entry
from customer_warehouse.pii.vault import (
    VaultRow,
    bootstrap_vault,
    key_usage,
    read_identities,
    rotate_keys,
    write_rows,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
TABLE = "pii.customer_identities"


def _rows(count: int, updated_at: datetime = T0, suffix: str = "") -> list[VaultRow]:
    return [
        VaultRow(
            f"key-{i:04d}",
            {"full_name": f"Person {i}{suffix}", "email": f"p{i}@example.com"},
            {
                "source": "shop",
                "source_customer_id": str(i),
                "source_updated_at": updated_at,
                "batch_id": "b1",
            },
        )
        for i in range(count)
    ]


def _write(url: str, rows: list[VaultRow], ring: KeyRing) -> int:
    conn = psycopg2.connect(psycopg2_dsn(url))
    try:
        with conn, conn.cursor() as cur:
            return write_rows(cur, TABLE, rows, ring)
    finally:
        conn.close()


def _names(url: str, ring: KeyRing) -> dict[str, str]:
    return {key: identity["full_name"] for key, identity, _ in read_identities(url, TABLE, ring)}


@pytest.fixture()
def vault_url(pg_database) -> str:
    url = pg_database("vault")
    bootstrap_vault(url)
    return url


def test_round_trip_through_database(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    assert _write(vault_url, _rows(3), ring) == 3
    assert _names(vault_url, ring) == {f"key-{i:04d}": f"Person {i}" for i in range(3)}


def test_newer_version_replaces_older_kept(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    _write(vault_url, _rows(2), ring)
    assert _write(vault_url, _rows(2, T0 + timedelta(hours=1), " v2"), ring) == 2
    assert _write(vault_url, _rows(2, T0, " stale"), ring) == 0
    assert set(_names(vault_url, ring).values()) == {"Person 0 v2", "Person 1 v2"}


def test_rotation_reencrypts_everything(vault_url):
    old = new_key_entry("k1")
    _write(vault_url, _rows(120), KeyRing.parse(old))
    rotated = KeyRing.parse(new_key_entry("k2") + "," + old)
    counts = rotate_keys(vault_url, rotated, batch_rows=50)
    assert counts[TABLE] == 120
    assert key_usage(vault_url)[TABLE] == {"k2": 120}
    new_only = KeyRing(active_id="k2", keys={"k2": rotated.keys["k2"]})
    assert _names(vault_url, new_only) == {f"key-{i:04d}": f"Person {i}" for i in range(120)}
    assert rotate_keys(vault_url, rotated)[TABLE] == 0


def test_rotation_without_old_key_fails_and_keeps_data(vault_url):
    old = new_key_entry("k1")
    _write(vault_url, _rows(5), KeyRing.parse(old))
    with pytest.raises(VaultKeyError, match="'k1'"):
        rotate_keys(vault_url, KeyRing.parse(new_key_entry("k2")))
    assert key_usage(vault_url)[TABLE] == {"k1": 5}
    assert len(_names(vault_url, KeyRing.parse(old))) == 5


def test_ciphertext_moved_between_records_fails(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    _write(vault_url, _rows(2), ring)
    conn = psycopg2.connect(psycopg2_dsn(vault_url))
    with conn, conn.cursor() as cur:
        cur.execute(
            f"update {TABLE} set identity = (select identity from {TABLE} where customer_key = 'key-0000')"
            " where customer_key = 'key-0001'"
        )
    conn.close()
    with pytest.raises(ValueError, match="failed authentication"):
        _names(vault_url, ring)


def test_duplicate_keys_in_chunk_keep_newest(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    rows = _rows(2, T0 + timedelta(hours=1), " v2") + _rows(3)
    assert _write(vault_url, rows, ring) == 3
    assert _names(vault_url, ring) == {
        "key-0000": "Person 0 v2",
        "key-0001": "Person 1 v2",
        "key-0002": "Person 2",
    }


def test_copy_fields_round_trip(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    awkward = ['7,"quoted"', "line\nbreak", r"\N", "", " padded "]
    rows = [
        VaultRow(f"key-{i}", {"full_name": f"P{i}"}, {**_rows(1)[0].columns, "source_customer_id": text})
        for i, text in enumerate(awkward)
    ]
    _write(vault_url, rows, ring)
    stored = dict(
        query_vault(vault_url, "select customer_key, source_customer_id from pii.customer_identities")
    )
    assert stored == {f"key-{i}": text for i, text in enumerate(awkward)}


def query_vault(url: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(psycopg2_dsn(url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def _wait_for_lock_wait(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        waiting = query_vault(
            url,
            "select count(*) from pg_stat_activity"
            " where datname = current_database() and wait_event_type = 'Lock'",
        )
        if waiting[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError(f"no session of the vault waited for a lock within {timeout_s} s")


def test_concurrent_insert_falls_back_to_upsert(vault_url, caplog):
    ring = KeyRing.parse(new_key_entry("k1"))
    other = psycopg2.connect(psycopg2_dsn(vault_url))
    ours = psycopg2.connect(psycopg2_dsn(vault_url))
    outcome: dict[str, object] = {}

    def write_ours() -> None:
        try:
            with ours, ours.cursor() as cur:
                outcome["written"] = write_rows(cur, TABLE, _rows(2, T0 + timedelta(hours=1), " ours"), ring)
        except Exception as error:  # noqa: BLE001 - checked by the assertions below
            outcome["error"] = error

    try:
        # The other transaction inserts key-0000 without committing, so ours does not see
        # it, copies it, waits on the primary key and fails there once the other commits.
        with other.cursor() as cur:
            write_rows(cur, TABLE, _rows(1, T0, " other"), ring)
        writer = threading.Thread(target=write_ours)
        writer.start()
        _wait_for_lock_wait(vault_url)
        other.commit()
        writer.join()
    finally:
        other.close()
        ours.close()
    assert "error" not in outcome
    assert any("upserting this chunk instead" in record.getMessage() for record in caplog.records)
    assert outcome["written"] == 2
    assert _names(vault_url, ring) == {"key-0000": "Person 0 ours", "key-0001": "Person 1 ours"}
