"""Re-identification: turn a pseudonymous customer_key back into a person, on the record.

The privacy officer connects to the vault with its own role (``CW_PRIVACY_OFFICER_URL``),
which may only call ``pii.reveal_identity``. That function writes who asked, when, for
which key and why into ``pii.reveal_log`` before it returns the encrypted record. This
process decrypts the record with the vault key ring (``CW_VAULT_KEYS``) and prints it.

    cw privacy reveal --key CUSTOMER_KEY --reason "subject access request 2026-118"
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg2

from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.pii.crypto import KeyRing

log = logging.getLogger(__name__)


class RevealError(RuntimeError):
    """A reveal was rejected or failed. The message names the key and what to do."""


@dataclass(frozen=True)
class RevealedIdentity:
    customer_key: str
    source: str
    source_customer_id: str
    identity: dict


def reveal_identity(
    officer_url: str, customer_key: str, reason: str, ring: KeyRing
) -> RevealedIdentity | None:
    """Return the decrypted identity behind ``customer_key``, or None when the vault has none.

    Every call, found or not, leaves one row in ``pii.reveal_log``. Raises RevealError when
    the reason is empty or the vault rejects the call.
    """
    if not reason or not reason.strip():
        raise RevealError(f"a reason is required to reveal customer_key {customer_key}: pass --reason")
    conn = psycopg2.connect(psycopg2_dsn(officer_url))
    # Autocommit: the audit row is committed with the call, never rolled back with a later error.
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                "select customer_key, source, source_customer_id, identity from pii.reveal_identity(%s, %s)",
                (customer_key, reason),
            )
            row = cur.fetchone()
    except psycopg2.Error as error:
        raise RevealError(f"the vault rejected the reveal of customer_key {customer_key}: {error}") from error
    finally:
        conn.close()
    if row is None:
        log.info("no identity in the vault for customer_key %s (lookup recorded)", customer_key)
        return None
    key, source, source_id, blob = row
    log.info("revealed the identity behind customer_key %s (lookup recorded in pii.reveal_log)", key)
    return RevealedIdentity(key, source, source_id, ring.decrypt(bytes(blob), key))
