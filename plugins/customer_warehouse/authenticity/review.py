"""Reviewers' decisions on accounts: include keeps an account in the default views, exclude keeps it out.

The next scoring run honours every decision, whatever the account's score. A decision
replaces the account's earlier one, which moves to ``review_decision_history``.
"""

from __future__ import annotations

import logging

import psycopg2

from customer_warehouse.authenticity.combine import EXCLUDE, INCLUDE
from customer_warehouse.db import psycopg2_dsn

log = logging.getLogger(__name__)


def record_decision(
    warehouse_url: str, customer_key: str, decision: str, decided_by: str, reason: str
) -> None:
    """Store a reviewer's decision on one account; the decision takes effect at the next scoring run."""
    if decision not in (INCLUDE, EXCLUDE):
        raise ValueError(f"review decision {decision!r} is invalid: use {INCLUDE!r} or {EXCLUDE!r}")
    missing = [name for name, value in (("decided_by", decided_by), ("reason", reason)) if not value.strip()]
    if missing:
        raise ValueError(
            f"the review decision on account {customer_key[:12]}... has no {' and no '.join(missing)}; "
            "give who decided and why"
        )
    conn = psycopg2.connect(psycopg2_dsn(warehouse_url))
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "insert into authenticity.review_decision_history"
                " (customer_key, decision, decided_by, decided_at, reason)"
                " select customer_key, decision, decided_by, decided_at, reason"
                " from authenticity.review_decisions where customer_key = %s",
                (customer_key,),
            )
            cur.execute(
                "insert into authenticity.review_decisions (customer_key, decision, decided_by, reason)"
                " values (%s, %s, %s, %s) on conflict (customer_key) do update set"
                " decision = excluded.decision, decided_by = excluded.decided_by, decided_at = now(),"
                " reason = excluded.reason",
                (customer_key, decision, decided_by.strip(), reason.strip()),
            )
    finally:
        conn.close()
    log.info("recorded review decision %s on account %s...", decision, customer_key[:12])
