"""Vault encryption: round trip, binding to the record, key ring parsing and rotation."""

from __future__ import annotations

import json
import os

import psycopg2
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.pii.crypto import (
    DecryptionError,
    KeyRing,
    VaultKeyError,
    decode_plaintext,
    encode_plaintext,
    key_id_of,
    new_key_entry,
)
from customer_warehouse.pii.keys import MissingSecretError, Pseudonymizer
from customer_warehouse.pii.split import split_address, split_customer

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


def _legacy_json_blob(ring: KeyRing, record: dict, associated: str) -> bytes:
    """Encrypt ``record`` as the writers before plaintext versions did: JSON, no version byte."""
    key_id = ring.active_id.encode("ascii")
    nonce = os.urandom(12)
    cipher = AESGCM(ring.keys[ring.active_id])
    sealed = cipher.encrypt(nonce, json.dumps(record).encode(), associated.encode())
    return bytes([len(key_id)]) + key_id + nonce + sealed


def _plaintext(ring: KeyRing, blob: bytes, associated: str) -> bytes:
    start = 1 + blob[0]
    nonce, sealed = blob[start : start + 12], blob[start + 12 :]
    return AESGCM(ring.keys[key_id_of(blob)]).decrypt(nonce, sealed, associated.encode())


def test_legacy_json_record_decrypts():
    ring = KeyRing.parse(new_key_entry("k1"))
    assert ring.decrypt(_legacy_json_blob(ring, RECORD, "customer-a"), "customer-a") == RECORD


def test_shop_identities_use_layout_format():
    keys = Pseudonymizer("secret")
    row = {"customer_id": 7, "country_code": "CN", "email": "a@b.cn", "updated_at": None}
    customer = split_customer(row, keys).identity
    address = split_address({"address_id": 3, "customer_id": 7, "line1": "1 Main St"}, keys).identity
    ring = KeyRing.parse(new_key_entry("k1"))
    for record in (customer, address):
        plaintext = _plaintext(ring, ring.encrypt(record, "customer-a"), "customer-a")
        assert plaintext[0] == 2
        assert ring.decrypt(ring.encrypt(record, "customer-a"), "customer-a") == record
    assert len(encode_plaintext(customer)) < len(json.dumps(customer))


def test_other_fields_use_map_format():
    ring = KeyRing.parse(new_key_entry("k1"))
    blob = ring.encrypt(RECORD, "customer-a")
    assert _plaintext(ring, blob, "customer-a")[0] == 1
    assert ring.decrypt(blob, "customer-a") == RECORD


def test_layout_with_fields_reordered_uses_map():
    reordered = {"line2": None, "line1": "1 Main St"}
    assert encode_plaintext(reordered)[0] == 1
    assert decode_plaintext(encode_plaintext(reordered)) == reordered


@pytest.mark.parametrize("plaintext", [b"", b"\x03\x90", b"\x02\x7f\x90", b"\x02\x01\x91\xa1x"])
def test_unknown_plaintext_format_rejected(plaintext):
    with pytest.raises(DecryptionError, match="plaintext format"):
        decode_plaintext(plaintext)


def test_key_ring_entries_parse_back():
    ring = KeyRing.parse(new_key_entry("k2") + "," + new_key_entry("k1"))
    again = KeyRing.parse(ring.entries())
    assert again.active_id == "k2"
    assert again.keys == ring.keys
