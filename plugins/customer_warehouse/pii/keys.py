"""Pseudonymous keys: keyed hashes (HMAC-SHA256) of identifiers and source ids.

A key is stable for the same input and the same secret, so it joins across tables and
runs, and it cannot be turned back into the input without the secret. The hex digest
equals what the dbt macro ``pseudonymize`` computes with pgcrypto for the same text and
secret, so keys made here and keys made in dbt join.
"""

from __future__ import annotations

import hmac
import os

PSEUDONYM_KEY_VARIABLE = "CW_PSEUDONYM_KEY"


class MissingSecretError(RuntimeError):
    """A secret the pipeline needs is not set in the environment."""


class Pseudonymizer:
    """Computes pseudonymous keys with one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise MissingSecretError(
                f"{PSEUDONYM_KEY_VARIABLE} is empty: pseudonymous keys need a secret. "
                "Run `cw init` to generate one, or set it from your secrets backend."
            )
        self._secret = secret.encode("utf-8")

    @classmethod
    def from_env(cls) -> Pseudonymizer:
        return cls(os.environ.get(PSEUDONYM_KEY_VARIABLE, ""))

    def digest(self, text: str) -> str:
        """Return the HMAC-SHA256 of ``text`` (UTF-8) as 64 hex characters."""
        # hmac.digest is the one-shot form that OpenSSL computes without a Python HMAC object.
        return hmac.digest(self._secret, text.encode("utf-8"), "sha256").hex()

    def key(self, namespace: str, value: object) -> str | None:
        """Return the key of ``value`` within ``namespace`` (``device``, ``email``...), or None for None."""
        if value is None:
            return None
        return self.digest(f"{namespace}:{value}")

    def customer_key(self, source: str, source_customer_id: object) -> str:
        """Return the account key marts use: the key of ``source:source_customer_id``."""
        return self.digest(f"{source}:{source_customer_id}")
