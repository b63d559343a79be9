"""``cw privacy``: the privacy officer's commands.

    cw privacy reveal --key CUSTOMER_KEY --reason "subject access request 2026-118"
    cw privacy erase (--key KEY | --person PERSON_KEY | --email EMAIL) --reason "..." [--by NAME]

``reveal`` prints the identity behind a key; the lookup is logged in the vault. ``erase``
forgets a person everywhere but the source (``customer_warehouse.pii.erasure``) and
prints what it erased, with counts only.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging

from customer_warehouse.config import settings
from customer_warehouse.pii.crypto import KeyRing
from customer_warehouse.pii.erasure import ErasureError, ErasureRequest, erase
from customer_warehouse.pii.reveal import RevealError, reveal_identity

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cw privacy", description="Re-identify or erase a customer, on the record."
    )
    sub = parser.add_subparsers(dest="action", required=True)
    reveal = sub.add_parser("reveal", help="print the identity behind a customer_key; the lookup is logged")
    reveal.add_argument("--key", required=True, help="customer_key of a mart row")
    reveal.add_argument(
        "--reason", required=True, help="why this person must be identified, e.g. a request id"
    )
    erasure = sub.add_parser(
        "erase", help="forget a person everywhere but the source (right to be forgotten)"
    )
    subject = erasure.add_mutually_exclusive_group(required=True)
    subject.add_argument("--key", help="customer_key of one of the person's accounts")
    subject.add_argument("--person", help="person_key of the person")
    subject.add_argument("--email", help="an email the person registered with")
    erasure.add_argument("--reason", required=True, help="the request behind the erasure, e.g. its ticket")
    erasure.add_argument("--by", default=getpass.getuser(), help="who asks (default: the current user)")
    return parser


def _reveal(args: argparse.Namespace) -> int:
    cfg = settings()
    try:
        revealed = reveal_identity(cfg.role_url("privacy_officer"), args.key, args.reason, KeyRing.from_env())
    except RevealError as error:
        log.error("%s", error)
        return 1
    if revealed is None:
        print(f"no identity for customer_key {args.key}")
        return 1
    # Printed for the officer, never logged.
    record = {
        "customer_key": revealed.customer_key,
        "source": revealed.source,
        "source_customer_id": revealed.source_customer_id,
        **revealed.identity,
    }
    print(json.dumps(record, indent=2, ensure_ascii=False, default=str))
    return 0


def _erase(args: argparse.Namespace) -> int:
    if args.email:
        kind, subject = "email", args.email
    elif args.person:
        kind, subject = "person_key", args.person
    else:
        kind, subject = "customer_key", args.key
    try:
        result = erase(settings(), ErasureRequest(kind, subject, args.reason, args.by))
    except ErasureError as error:
        log.error("%s", error)
        return 1
    print(json.dumps(result.summary(), indent=2, sort_keys=True))
    return 0 if result.status == "done" else 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return _reveal(args) if args.action == "reveal" else _erase(args)
