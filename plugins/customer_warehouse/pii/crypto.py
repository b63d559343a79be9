"""Authenticated encryption of vault records (AES-256-GCM) with a rotatable key ring.

The key ring comes from ``CW_VAULT_KEYS``: comma-separated ``key_id:base64key`` entries,
each key 32 random bytes, the first entry being the active key that encrypts. Older
entries stay listed only until ``cw vault rotate`` has re-encrypted every record they
protect. Each ciphertext starts with the id of the key that made it, and is bound to its
record by associated data (the record's pseudonymous key), so a ciphertext copied onto
another record fails to decrypt.

The plaintext of a record is versioned by its first byte. Records written before the
versions are JSON objects and start with ``{``. Version 1 is a MessagePack map. Version
2, written for the identities of shop accounts and addresses, is a MessagePack array of
the values of one of ``PLAINTEXT_LAYOUTS``, which leaves the field names out. Readers
decrypt all three.
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
# First bytes of plaintexts: a JSON object (the format before versions), version 1 and 2.
_JSON_START = ord("{")
_MAP_VERSION = 1
_LAYOUT_VERSION = 2
# Field lists of version 2 plaintexts, by layout number. Stored records name their layout
# by its number, so lists may be appended but never changed or reordered.
PLAINTEXT_LAYOUTS: tuple[tuple[str, ...], ...] = (
    (
        "given_name",
        "family_name",
        "full_name",
        "email",
        "email_canonical",
        "phone",
        "phone_e164",
        "birth_date",
        "birth_date_as_written",
        "signup_device_id",
        "signup_ip",
    ),
    ("line1", "line2"),
)
_LAYOUT_NUMBERS = {fields: number for number, fields in enumerate(PLAINTEXT_LAYOUTS)}
# Dates, decimals and UUIDs are written as their text form, as the JSON format did. A
# datetime with a time zone is a MessagePack timestamp and reads back as a datetime.
_MSGPACK = msgspec.msgpack.Encoder(enc_hook=str)


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

    def entries(self) -> str:
        """Return the ring as the ``CW_VAULT_KEYS`` value that ``parse`` reads, active key first."""
        order = [self.active_id, *(key_id for key_id in self.keys if key_id != self.active_id)]
        return ",".join(
            f"{key_id}:{base64.urlsafe_b64encode(self.keys[key_id]).decode()}" for key_id in order
        )

    def encrypt(self, record: dict, associated: str) -> bytes:
        """Encrypt ``record`` (JSON-serializable) with the active key, bound to ``associated``."""
        return self.encrypt_many([(record, associated)])[0]

    def encrypt_many(self, records: Sequence[tuple[dict, str]]) -> list[bytes]:
        """Encrypt each ``(record, associated)`` pair as ``encrypt`` does; return the ciphertexts in order.

        Each record gets its own random 96-bit nonce, drawn from the operating system's
        random source in one call for the whole batch.
        """
        return self._seal([(encode_plaintext(record), associated) for record, associated in records])

    def _seal(self, plaintexts: Sequence[tuple[bytes, str]]) -> list[bytes]:
        seal = self._cipher(self.active_id).encrypt
        key_id = self.active_id.encode("ascii")
        header = bytes([len(key_id)]) + key_id
        nonces = os.urandom(_NONCE_BYTES * len(plaintexts))
        ciphertexts = []
        for position, (plaintext, associated) in enumerate(plaintexts):
            start = position * _NONCE_BYTES
            nonce = nonces[start : start + _NONCE_BYTES]
            sealed = seal(nonce, plaintext, associated.encode("utf-8"))
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
        return decode_plaintext(plaintext)

    def _cipher(self, key_id: str) -> AESGCM:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            cipher = self._ciphers[key_id] = AESGCM(self.keys[key_id])
        return cipher


def encode_plaintext(record: dict) -> bytes:
    """Return the newest plaintext format of ``record``: version 2 when its fields match a layout, else 1."""
    layout = _LAYOUT_NUMBERS.get(tuple(record))
    if layout is None:
        return bytes([_MAP_VERSION]) + _MSGPACK.encode(record)
    return bytes([_LAYOUT_VERSION, layout]) + _MSGPACK.encode(tuple(record.values()))


def decode_plaintext(plaintext: bytes) -> dict:
    """Return the record of a decrypted plaintext of any version."""
    version = plaintext[0] if plaintext else None
    if version == _LAYOUT_VERSION and len(plaintext) > 1 and plaintext[1] < len(PLAINTEXT_LAYOUTS):
        fields = PLAINTEXT_LAYOUTS[plaintext[1]]
        values = msgspec.msgpack.decode(plaintext[2:])
        if len(values) == len(fields):
            return dict(zip(fields, values, strict=True))
    elif version == _MAP_VERSION:
        return msgspec.msgpack.decode(plaintext[1:])
    elif version == _JSON_START:
        return msgspec.json.decode(plaintext)
    # Authentication passed, so only a writer newer than this reader makes such a record.
    raise DecryptionError(
        f"a vault record has plaintext format {version!r}, which this version cannot read. "
        "Upgrade customer_warehouse"
    )


def key_id_of(blob: bytes) -> str:
    """Return the id of the key that encrypted ``blob``."""
    blob = bytes(blob)
    return blob[1 : 1 + blob[0]].decode("ascii")
