"""The PII vault: encrypted upserts, reads and key rotation on a real PostgreSQL database."""

from __future__ import annotations

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
