"""The PII vault: encrypted upserts, reads and key rotation on a real PostgreSQL database."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

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
from customer_warehouse.pii.vault_writer import VaultWriteError, VaultWriterProcess

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


def _store_legacy_json(url: str, rows: list[VaultRow], ring: KeyRing) -> None:
    """Insert ``rows`` encrypted as before plaintext versions: JSON objects, no version byte."""
    key_id = ring.active_id.encode("ascii")
    cipher = AESGCM(ring.keys[ring.active_id])
    conn = psycopg2.connect(psycopg2_dsn(url))
    try:
        with conn, conn.cursor() as cur:
            for row in rows:
                nonce = os.urandom(12)
                sealed = cipher.encrypt(nonce, json.dumps(row.identity).encode(), row.key.encode())
                cur.execute(
                    f"insert into {TABLE} (customer_key, source, source_customer_id, source_updated_at,"
                    " key_id, identity, batch_id) values (%s, %s, %s, %s, %s, %s, %s)",
                    (
                        row.key,
                        row.columns["source"],
                        row.columns["source_customer_id"],
                        row.columns["source_updated_at"],
                        ring.active_id,
                        psycopg2.Binary(bytes([len(key_id)]) + key_id + nonce + sealed),
                        row.columns["batch_id"],
                    ),
                )
    finally:
        conn.close()


def test_rotation_over_legacy_and_new_records(vault_url):
    old = new_key_entry("k1")
    rows = _rows(6)
    _store_legacy_json(vault_url, rows[:3], KeyRing.parse(old))
    _write(vault_url, rows[3:], KeyRing.parse(old))
    rotated = KeyRing.parse(new_key_entry("k2") + "," + old)
    assert rotate_keys(vault_url, rotated, batch_rows=4)[TABLE] == 6
    new_only = KeyRing(active_id="k2", keys={"k2": rotated.keys["k2"]})
    identities = {key: identity for key, identity, _ in read_identities(vault_url, TABLE, new_only)}
    assert identities == {row.key: row.identity for row in rows}
    assert key_usage(vault_url)[TABLE] == {"k2": 6}


def test_binary_copy_keeps_naive_time_as_utc(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    naive = datetime(2026, 11, 1, 12, 30, 15, 250)
    _write(vault_url, _rows(1, naive), ring)
    stored = query_vault(vault_url, f"select source_updated_at from {TABLE}")
    assert stored == [(naive.replace(tzinfo=UTC),)]


def _writer(url: str, ring: KeyRing) -> VaultWriterProcess:
    return VaultWriterProcess(url, ring, TABLE, {"batch_id": "b1"}, "b1")


def test_writer_process_stores_on_commit(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    writer = _writer(vault_url, ring)
    writer.put(_rows(3))
    writer.put(_rows(2, T0 + timedelta(hours=1), " v2"))
    assert writer.commit() == (5, 5)
    writer.abort()
    names = _names(vault_url, ring)
    assert names == {"key-0000": "Person 0 v2", "key-0001": "Person 1 v2", "key-0002": "Person 2"}


def test_writer_process_failed_chunk_keeps_nothing(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    query_vault(
        vault_url,
        "create function pii.reject_key_0102() returns trigger language plpgsql as $$ begin"
        " if new.customer_key = 'key-0102' then raise exception 'rejected by test trigger'; end if;"
        " return new; end $$; create trigger reject_key_0102 before insert on pii.customer_identities"
        " for each row execute function pii.reject_key_0102(); select 1",
    )
    writer = _writer(vault_url, ring)
    rows = _rows(300)
    with pytest.raises(VaultWriteError) as failure:
        for start in range(0, 300, 100):
            writer.put(rows[start : start + 100])
        writer.commit()
    message = str(failure.value)
    assert "chunk 2 of pii.customer_identities" in message
    assert "batch b1" in message
    assert "rejected by test trigger" in message
    assert query_vault(vault_url, f"select count(*) from {TABLE}") == [(0,)]


def test_writer_process_killed_keeps_nothing(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    writer = _writer(vault_url, ring)
    writer.put(_rows(50))
    writer._process.kill()
    writer._process.wait()
    with pytest.raises(VaultWriteError, match="exited with code -9 after chunk 1 was sent"):
        writer.put(_rows(50, T0 + timedelta(hours=1)))
        writer.commit()
    assert query_vault(vault_url, f"select count(*) from {TABLE}") == [(0,)]


def test_writer_process_aborted_keeps_nothing(vault_url):
    ring = KeyRing.parse(new_key_entry("k1"))
    writer = _writer(vault_url, ring)
    writer.put(_rows(50))
    writer.abort()
    assert query_vault(vault_url, f"select count(*) from {TABLE}") == [(0,)]


def test_cli_rotate_with_nothing_to_do_says_how(vault_url, monkeypatch, capsys):
    from customer_warehouse.pii.cli import main

    entry = new_key_entry("k1")
    _write(vault_url, _rows(3), KeyRing.parse(entry))
    monkeypatch.setenv("CW_VAULT_URL", vault_url)
    monkeypatch.setenv("CW_VAULT_KEYS", entry)
    assert main(["rotate"]) == 0
    printed = capsys.readouterr().out
    assert "re-encrypted 0" in printed
    assert "already uses the active key k1" in printed
    assert "`cw vault new-key`" in printed
