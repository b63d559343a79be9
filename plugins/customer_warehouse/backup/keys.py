"""age keys of the backups: public recipients that encrypt, private identities that decrypt.

Backups are encrypted to the X25519 recipients in ``CW_BACKUP_RECIPIENTS`` (``age1...``).
The matching identities (``AGE-SECRET-KEY-1...``) are read only by a restore or a restore
drill, from ``CW_BACKUP_IDENTITY_FILE`` (one identity a line, ``#`` comments allowed, the
layout of ``age-keygen`` output) or else from ``CW_BACKUP_IDENTITY``. No function here
logs or returns an identity's text except ``generate_keypair``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from pyrage import IdentityError, RecipientError, x25519

IDENTITY_FILE_VARIABLE = "CW_BACKUP_IDENTITY_FILE"
IDENTITY_VARIABLE = "CW_BACKUP_IDENTITY"
RECIPIENTS_VARIABLE = "CW_BACKUP_RECIPIENTS"


class BackupKeyError(ValueError):
    """A recipient or identity is missing or malformed."""


def fingerprint(recipient: str) -> str:
    """Return a short, stable name of a public key: ``sha256:`` and 16 hex digits of its digest."""
    return "sha256:" + hashlib.sha256(recipient.strip().encode("ascii")).hexdigest()[:16]


def parse_recipients(texts: Iterable[str]) -> list[x25519.Recipient]:
    """Parse age public keys; raise BackupKeyError naming the entry that is not one."""
    recipients = []
    for position, text in enumerate(texts, start=1):
        if text.strip().upper().startswith("AGE-SECRET-KEY-"):
            raise BackupKeyError(
                f"{RECIPIENTS_VARIABLE} entry {position} is a private age identity, not a public "
                "key: replace it with its public key (age1...) and keep the identity off this host"
            )
        try:
            recipients.append(x25519.Recipient.from_str(text.strip()))
        except RecipientError as error:
            raise BackupKeyError(
                f"{RECIPIENTS_VARIABLE} entry {position} ({text.strip()[:12]}...) is not an age "
                f"public key ({error}); it must start with age1, as `cw backup keygen` prints it"
            ) from error
    if not recipients:
        raise BackupKeyError(
            f"{RECIPIENTS_VARIABLE} is empty: backups need at least one age public key. Run "
            "`cw init` for a local key pair, or set the public key of your backup identity"
        )
    return recipients


def load_identities() -> list[x25519.Identity]:
    """Read the restore identities from the identity file or variable."""
    path = os.environ.get(IDENTITY_FILE_VARIABLE)
    if path:
        lines = _identity_lines(Path(path).expanduser())
        origin = f"{IDENTITY_FILE_VARIABLE} file {path}"
    else:
        lines = [(n, t) for n, t in enumerate(os.environ.get(IDENTITY_VARIABLE, "").split(","), 1)]
        origin = IDENTITY_VARIABLE
    identities = []
    for number, text in lines:
        if not text.strip():
            continue
        try:
            identities.append(x25519.Identity.from_str(text.strip()))
        except IdentityError as error:
            # The text of a malformed identity may still be most of a secret: never show it.
            raise BackupKeyError(
                f"{origin}: entry {number} is not an age identity ({error}); it must start with "
                "AGE-SECRET-KEY-1"
            ) from error
    if not identities:
        raise BackupKeyError(
            f"no backup identity configured: set {IDENTITY_FILE_VARIABLE} to a file holding the "
            f"age identity (or {IDENTITY_VARIABLE}); only restores and restore drills need it"
        )
    return identities


def _identity_lines(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise BackupKeyError(f"cannot read the backup identity file {path}: {error}") from error
    return [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def identity_fingerprints(identities: Iterable[x25519.Identity]) -> list[str]:
    """Return the fingerprints of the public keys that belong to ``identities``."""
    return [fingerprint(str(identity.to_public())) for identity in identities]


def generate_keypair() -> tuple[str, str]:
    """Return a new (identity, recipient) pair as text."""
    identity = x25519.Identity.generate()
    return str(identity), str(identity.to_public())
