"""Authenticity scoring as a pipeline step: pick the accounts, gather their facts and persons, score.

The first run scores every account. Later runs score the accounts loaded since the
previous scoring run started, those with new orders or payments, and those whose person
the latest identity run changed; cohorts, bursts and drift still compare them with the
stored population. ``CW_AUTHENTICITY_FULL=1`` forces a full run, for example after a
change of ``config/authenticity.yml``.

Identifier checks read the identity frame (decrypted from the vault, in memory only);
order and payment facts come from staging (shop) and the raw tables (Olist, CRM).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from customer_warehouse.authenticity.facts import conform_facts, empty_facts
from customer_warehouse.authenticity.run import score_accounts
from customer_warehouse.authenticity.sources import crm_frames, olist_frames
from customer_warehouse.config import Settings
from customer_warehouse.db import engine, staging_reader
from customer_warehouse.identity.sources import changed_account_keys, pipeline_identity_frame
from customer_warehouse.pii.crypto import KeyRing
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.warehouse import bootstrap

log = logging.getLogger(__name__)

FULL_RUN_VARIABLE = "CW_AUTHENTICITY_FULL"

SHOP_FACTS = """
with payments as (
    select order_id, count(*) as payments
    from staging.stg_shop__payments
    group by order_id
),

orders as (
    select o.customer_id, o.order_status, o.reported_order_total as order_total, p.payments
    from staging.stg_shop__orders as o
    left join payments as p
        on o.order_id = p.order_id
    where not o.is_deleted
)

select
    c.customer_key,
    count(o.customer_id) as order_count,
    coalesce(sum(case when o.order_status <> 'cancelled' and o.payments is null then 1 else 0 end), 0)
        as orders_without_payment,
    coalesce(sum(o.payments), 0) as payment_count,
    coalesce(sum(case when o.order_status <> 'cancelled' then o.order_total else 0 end), 0) as spend,
    avg(o.order_total) as order_value_mean,
    max(o.order_total) as order_value_max
from staging.stg_shop__customers as c
left join orders as o
    on c.customer_id = o.customer_id
group by c.customer_key
"""

# Accounts whose person the latest identity run created, merged or split.
RELINKED = """
select customer_key from identity.person_accounts
where updated_run_id = (select run_id from identity.runs order by started_at desc limit 1)
"""


def _read(url: str, sql: str, params: dict | None = None) -> pd.DataFrame:
    eng = staging_reader(url)
    try:
        with eng.connect() as conn:
            return pd.DataFrame(conn.execute(sa.text(sql), params or {}).mappings().all())
    finally:
        eng.dispose()


def _exists(url: str, relation: str) -> bool:
    eng = engine(url)
    try:
        with eng.connect() as conn:
            return bool(conn.scalar(sa.text("select to_regclass(:name) is not null"), {"name": relation}))
    finally:
        eng.dispose()


def _has_rows(url: str, relation: str) -> bool:
    return _exists(url, relation) and bool(
        _read(url, f"select exists (select 1 from {relation}) as filled")["filled"][0]
    )


def account_facts(warehouse_url: str, keys: Pseudonymizer, wanted: set[str]) -> pd.DataFrame:
    """Return the account facts of the ``wanted`` accounts of every source."""
    parts = []
    if _exists(warehouse_url, "staging.stg_shop__customers"):
        parts.append(_read(warehouse_url, SHOP_FACTS))
    if _has_rows(warehouse_url, "raw.olist_customers"):
        parts.append(olist_frames(warehouse_url, keys)[1])
    if _has_rows(warehouse_url, "raw.crm_customers"):
        parts.append(crm_frames(warehouse_url, keys)[1])
    parts = [part[part["customer_key"].isin(wanted)] for part in parts if not part.empty]
    if not parts:
        return empty_facts()
    return conform_facts(pd.concat(parts, ignore_index=True))


def _previous_start(warehouse_url: str) -> datetime | None:
    eng = engine(warehouse_url)
    try:
        with eng.connect() as conn:
            return conn.scalar(sa.text("select max(started_at) from authenticity.runs"))
    finally:
        eng.dispose()


def _accounts_to_score(settings: Settings, keys: Pseudonymizer, since: datetime | None) -> set[str] | None:
    if since is None:
        return None
    wanted = changed_account_keys(settings.warehouse_url, since, keys, with_orders=True)
    if _exists(settings.warehouse_url, "identity.person_accounts"):
        wanted |= set(_read(settings.warehouse_url, RELINKED).get("customer_key", pd.Series()))
    return wanted


def _persons(warehouse_url: str, customer_keys: list[str]) -> pd.Series:
    rows = _read(
        warehouse_url,
        "select customer_key, person_key from identity.person_accounts where customer_key = any(:keys)",
        {"keys": customer_keys},
    )
    if rows.empty:
        return pd.Series(dtype=object)
    return pd.Series(rows["person_key"].to_numpy(), index=rows["customer_key"].to_numpy(), dtype=object)


def run_authenticity_scoring(settings: Settings, run_id: str, full: bool | None = None) -> dict:
    """Score the accounts that need it for pipeline run ``run_id``; return the counts."""
    keys, ring = Pseudonymizer.from_env(), KeyRing.from_env()
    bootstrap(settings.warehouse_url).dispose()
    full = os.environ.get(FULL_RUN_VARIABLE, "") in ("1", "true") if full is None else full
    since = None if full else _previous_start(settings.warehouse_url)
    wanted = _accounts_to_score(settings, keys, since)
    frame = pipeline_identity_frame(settings.warehouse_url, settings.vault_url, wanted, keys, ring)
    frame = frame.drop(columns=["loaded_at"])
    if frame.empty:
        log.info(
            "authenticity scoring of run %s: no account changed since %s, nothing to score", run_id, since
        )
        return {"run_id": run_id, "accounts_scored": 0}
    customer_keys = frame["customer_key"].tolist()
    facts = account_facts(settings.warehouse_url, keys, set(customer_keys))
    log.info(
        "authenticity scoring of run %s: %s accounts (%s)",
        run_id,
        f"{len(frame):,}",
        "every account" if since is None else f"changed since {since.isoformat()}",
    )
    summary = score_accounts(
        frame, facts, settings.warehouse_url, run_id, _persons(settings.warehouse_url, customer_keys)
    )
    return summary.to_json()
