"""Authenticated encryption of vault records (AES-256-GCM) with a rotatable key ring.

The key ring comes from ``CW_VAULT_KEYS``: comma-separated ``key_id:base64key`` entries,
each key 32 random bytes, the first entry being the active key that encrypts. Older
entries stay listed only until ``cw vault rotate`` has re-encrypted every record they
protect. Each ciphertext starts with the id of the key that made it, and is bound to its
record by associated data (the record's pseudonymous key), so a ciphertext copied onto
another record fails to decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from customer_warehouse.pii.keys import MissingSecretError

VAULT_KEYS_VARIABLE = "CW_VAULT_KEYS"
_NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Dates and other non-JSON values are written as their text form.
_JSON = msgspec.json.Encoder(enc_hook=str)


class VaultKeyError(ValueError):
    """The key ring is malformed, or a ciphertext names a key the ring does not hold."""


class DecryptionError(ValueError):
    """A ciphertext failed authentication: wrong key, damaged bytes, or moved to another record."""


def new_key_entry(key_id: str) -> str:
    """Return a fresh ``key_id:base64key`` entry for ``CW_VAULT_KEYS``."""
    _check_key_id(key_id)
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


def _check_key_id(key_id: str) -> None:
    if not _KEY_ID.match(key_id):
        raise VaultKeyError(f"invalid vault key id {key_id!r}: use 1 to 32 letters, digits, '_' or '-'")


@dataclass(frozen=True)
class KeyRing:
    """Vault encryption keys by id; ``active_id`` encrypts, every key decrypts."""

    active_id: str
    keys: dict[str, bytes]
    _ciphers: dict[str, AESGCM] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        entries = [entry.strip() for entry in text.split(",") if entry.strip()]
        if not entries:
            raise MissingSecretError(
                f"{VAULT_KEYS_VARIABLE} is empty: the PII vault needs an encryption key. "
                "Run `cw init` to generate one, or set it from your secrets backend."
            )
        keys: dict[str, bytes] = {}
        for position, entry in enumerate(entries, start=1):
            key_id, sep, encoded = entry.partition(":")
            _check_key_id(key_id)
            try:
                key = base64.urlsafe_b64decode(encoded.encode()) if sep else b""
            except (binascii.Error, ValueError):
                key = b""
            if len(key) != 32:
                raise VaultKeyError(
                    f"{VAULT_KEYS_VARIABLE} entry {position} (key id {key_id!r}) is not "
                    "key_id:<32 bytes in url-safe base64>; generate one with `cw vault new-key`"
                )
            if key_id in keys:
                raise VaultKeyError(f"{VAULT_KEYS_VARIABLE} lists key id {key_id!r} twice")
            keys[key_id] = key
        return cls(active_id=entries[0].partition(":")[0], keys=keys)

    @classmethod
    def from_env(cls) -> KeyRing:
        return cls.parse(os.environ.get(VAULT_KEYS_VARIABLE, ""))

    def encrypt(self, record: dict, associated: str) -> bytes:
        """Encrypt ``record`` (JSON-serializable) with the active key, bound to ``associated``."""
        return self.encrypt_many([(record, associated)])[0]

    def encrypt_many(self, records: Sequence[tuple[dict, str]]) -> list[bytes]:
        """Encrypt each ``(record, associated)`` pair as ``encrypt`` does; return the ciphertexts in order.

        Each record gets its own random 96-bit nonce, drawn from the operating system's
        random source in one call for the whole batch.
        """
        seal = self._cipher(self.active_id).encrypt
        key_id = self.active_id.encode("ascii")
        header = bytes([len(key_id)]) + key_id
        nonces = os.urandom(_NONCE_BYTES * len(records))
        ciphertexts = []
        for position, (record, associated) in enumerate(records):
            start = position * _NONCE_BYTES
            nonce = nonces[start : start + _NONCE_BYTES]
            sealed = seal(nonce, _JSON.encode(record), associated.encode("utf-8"))
            ciphertexts.append(header + nonce + sealed)
        return ciphertexts

    def decrypt(self, blob: bytes, associated: str) -> dict:
        """Decrypt a ciphertext made by ``encrypt`` for the same ``associated`` text."""
        key_id = key_id_of(blob)
        key = self.keys.get(key_id)
        if key is None:
            raise VaultKeyError(
                f"a vault record is encrypted with key {key_id!r}, which {VAULT_KEYS_VARIABLE} "
                "does not list; add that key back, then run `cw vault rotate`"
            )
        start = 1 + blob[0]
        nonce, sealed = blob[start : start + _NONCE_BYTES], blob[start + _NONCE_BYTES :]
        try:
            plaintext = self._cipher(key_id).decrypt(nonce, sealed, associated.encode("utf-8"))
        except InvalidTag as error:
            raise DecryptionError(
                f"vault record {associated[:12]}... failed authentication with key {key_id!r}"
            ) from error
        return msgspec.json.decode(plaintext)

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.keys[key_id])
        return cipher


def key_id_of(blob: bytes) -> str:
    """Return the id of the key that encrypted ``blob``."""
    blob = bytes(blob)
    return blob[1 : 1 + blob[0]].decode("ascii")
