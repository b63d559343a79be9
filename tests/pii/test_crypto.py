"""Vault encryption: round trip, binding to the record, key ring parsing and rotation."""

from __future__ import annotations

import psycopg2
import pytest

from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.pii.crypto import DecryptionError, KeyRing, VaultKeyError, key_id_of, new_key_entry
from customer_warehouse.pii.keys import MissingSecretError, Pseudonymizer

RECORD = {"full_name": "张伟", "email": "zhang.wei@example.com", "birth_date": "1990-04-17"}


def test_round_trip_with_active_key():
    ring = KeyRing.parse(new_key_entry("k2") + "," + new_key_entry("k1"))
    blob = ring.encrypt(RECORD, "customer-a")
    assert key_id_of(blob) == "k2"
    assert b"zhang" not in blob
    assert ring.decrypt(blob, "customer-a") == RECORD


def test_ciphertext_bound_to_its_record():
    ring = KeyRing.parse(new_key_entry("k1"))
    blob = ring.encrypt(RECORD, "customer-a")
    with pytest.raises(DecryptionError):
        ring.decrypt(blob, "customer-b")


def test_tampered_ciphertext_rejected():
    ring = KeyRing.parse(new_key_entry("k1"))
    blob = bytearray(ring.encrypt(RECORD, "customer-a"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionError):
        ring.decrypt(bytes(blob), "customer-a")


def test_old_key_still_decrypts_after_rotation():
    old = new_key_entry("k1")
    blob = KeyRing.parse(old).encrypt(RECORD, "customer-a")
    rotated = KeyRing.parse(new_key_entry("k2") + "," + old)
    assert rotated.decrypt(blob, "customer-a") == RECORD
    assert key_id_of(rotated.encrypt(RECORD, "customer-a")) == "k2"


def test_missing_key_named_in_error():
    blob = KeyRing.parse(new_key_entry("k1")).encrypt(RECORD, "customer-a")
    with pytest.raises(VaultKeyError, match="'k1'"):
        KeyRing.parse(new_key_entry("k2")).decrypt(blob, "customer-a")


@pytest.mark.parametrize("text", ["k1:short", "k1", "bad id!:" + "A" * 44, new_key_entry("k1") + ",k1:xx"])
def test_malformed_key_ring_rejected(text):
    with pytest.raises(VaultKeyError):
        KeyRing.parse(text)


def test_duplicate_key_id_rejected():
    entry = new_key_entry("k1")
    with pytest.raises(VaultKeyError, match="twice"):
        KeyRing.parse(entry + "," + entry)


def test_empty_key_ring_rejected():
    with pytest.raises(MissingSecretError):
        KeyRing.parse(" ")


def test_pseudonymizer_needs_secret():
    with pytest.raises(MissingSecretError):
        Pseudonymizer("")
    keys = Pseudonymizer("secret")
    assert keys.customer_key("shop", 42) == keys.digest("shop:42")
    assert keys.key("email", None) is None
    assert keys.key("email", "a@b.cn") != Pseudonymizer("other").key("email", "a@b.cn")


# Secrets shorter than, equal to and longer than SHA-256's 64-byte block (which HMAC
# hashes first), and multi-byte UTF-8 in both the secret and the text.
@pytest.mark.parametrize(
    "secret", ["s", "k" * 64, "k" * 65, "密钥" * 20], ids=["short", "one-block", "long", "multibyte"]
)
def test_pseudonymizer_matches_pgcrypto(pg_database, secret):
    texts = ["", "shop:42", "email:zhang.wei@example.com", "张伟" * 40]
    conn = psycopg2.connect(psycopg2_dsn(pg_database("hmac")))
    try:
        with conn, conn.cursor() as cur:
            cur.execute("create extension if not exists pgcrypto")
            cur.execute(
                "select encode(hmac(convert_to(t, 'UTF8'), convert_to(%s, 'UTF8'), 'sha256'), 'hex')"
                " from unnest(%s::text[]) with ordinality as u(t, n) order by n",
                (secret, texts),
            )
            expected = [row[0] for row in cur.fetchall()]
    finally:
        conn.close()
    keys = Pseudonymizer(secret)
    assert [keys.digest(text) for text in texts] == expected
