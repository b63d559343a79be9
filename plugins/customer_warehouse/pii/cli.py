"""``cw vault``: the PII vault's keys and records.

cw vault status           records per encryption key in each vault table
cw vault new-key --id ID  print a new key entry to put first in CW_VAULT_KEYS
cw vault rotate           re-encrypt every record made with an older key
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime

from customer_warehouse.config import settings
from customer_warehouse.pii.crypto import VAULT_KEYS_VARIABLE, KeyRing, new_key_entry
from customer_warehouse.pii.vault import bootstrap_vault, key_usage, rotate_keys

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cw vault", description="Manage the PII vault's keys and records.")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("status", help="records per encryption key in each vault table")
    new = sub.add_parser("new-key", help=f"print a new key entry to put first in {VAULT_KEYS_VARIABLE}")
    new.add_argument("--id", default=f"k{datetime.now(UTC):%Y%m%d}", help="key id (default k<today>)")
    sub.add_parser("rotate", help="re-encrypt with the active (first) key every record made with another")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.action == "new-key":
        # The entry is printed once for the operator to store in the secrets backend; never logged.
        print(new_key_entry(args.id))
        return 0
    cfg = settings()
    bootstrap_vault(cfg.vault_url)
    if args.action == "status":
        ring = KeyRing.from_env()
        for table, usage in key_usage(cfg.vault_url).items():
            listed = ", ".join(f"{key_id}: {count:,}" for key_id, count in usage.items()) or "empty"
            print(f"{table:<28} {listed}")
        stale = {k for usage in key_usage(cfg.vault_url).values() for k in usage if k != ring.active_id}
        unknown = stale - set(ring.keys)
        if unknown:
            print(f"records use keys missing from {VAULT_KEYS_VARIABLE}: {', '.join(sorted(unknown))}")
            return 1
        if stale:
            print(f"records still use {', '.join(sorted(stale))}: run `cw vault rotate`")
        return 0
    ring = KeyRing.from_env()
    counts = rotate_keys(cfg.vault_url, ring)
    for table, count in counts.items():
        print(f"{table:<28} re-encrypted {count:,}")
    if not any(counts.values()):
        print(
            f"every record already uses the active key {ring.active_id}, the first of {VAULT_KEYS_VARIABLE}. "
            f"To rotate, put a new entry (`cw vault new-key`) first in {VAULT_KEYS_VARIABLE}, keep the "
            "older keys after it, and run `cw vault rotate` again"
        )
    return 0
