"""Identity frames of the pipeline: warehouse staging joined with identifiers decrypted from the vault.

The warehouse gives every account's coarse attributes (staging views built by dbt); the
PII vault gives the identifiers of shop accounts and the street lines of their default
address. The two meet in memory, by ``customer_key`` and ``address_key``, and the frame
never leaves the process.

``changed_account_keys`` picks the accounts an incremental run must look at: those with
a version or address loaded since the previous identity run started. It reads the
warehouse only, so an incremental run decrypts just the accounts it resolves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from customer_warehouse.db import engine, staging_reader
from customer_warehouse.identity.frame import FRAME_COLUMNS
from customer_warehouse.pii.crypto import KeyRing
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.vault import read_identities

log = logging.getLogger(__name__)

SHOP_ACCOUNTS = """
select
    c.customer_key,
    'shop' as source,
    c.customer_id::text as source_customer_id,
    null::text as person_ref,
    c.email_domain,
    c.has_valid_email as email_is_valid,
    c.has_valid_phone as phone_is_valid,
    c.gender,
    c.country_code,
    a.address_key,
    a.city,
    a.state,
    a.postcode,
    c.signup_channel,
    c.signup_device_key,
    c.signup_ip_key,
    c.created_at,
    c.updated_at,
    c.is_deleted,
    greatest(c.loaded_at, a.loaded_at) as loaded_at
from staging.stg_shop__customers as c
left join intermediate.int_shop__customer_default_addresses as a
    on c.customer_id = a.customer_id
"""

CRM_ACCOUNTS = """
select customer_id::text as source_customer_id, signed_up_on, loaded_at
from staging.stg_crm__customers
"""

# Shop accounts with an order or payment loaded since a time: their order facts changed.
SHOP_ORDERS_CHANGED = """
select distinct c.customer_key
from staging.stg_shop__orders as o
join staging.stg_shop__customers as c
    on o.customer_id = c.customer_id
left join staging.stg_shop__payments as p
    on o.order_id = p.order_id
where o.loaded_at > :since or p.loaded_at > :since
"""

SHOP_CHANGED = """
select c.customer_key
from staging.stg_shop__customers as c
left join intermediate.int_shop__customer_default_addresses as a
    on c.customer_id = a.customer_id
where greatest(c.loaded_at, a.loaded_at) > :since
"""

# Olist keys are computed here with the same secret and namespace as dbt's pseudonymize.
OLIST_ACCOUNTS = """
select
    o.customer_id as source_customer_id,
    o.customer_unique_id,
    o.zip_code_prefix as postcode,
    o.city,
    o.state,
    first_orders.first_order_at,
    o.loaded_at
from staging.stg_olist__customers as o
left join (
    select customer_id, min(purchased_at) as first_order_at
    from staging.stg_olist__orders
    group by customer_id
) as first_orders
    on o.customer_id = first_orders.customer_id
"""


def _query(url: str, sql: str, params: dict | None = None) -> pd.DataFrame:
    eng = staging_reader(url)
    try:
        with eng.connect() as conn:
            return pd.DataFrame(conn.execute(sa.text(sql), params or {}).mappings().all())
    finally:
        eng.dispose()


def _relation_exists(url: str, name: str) -> bool:
    eng = engine(url)
    try:
        with eng.connect() as conn:
            return conn.scalar(sa.text("select to_regclass(:name) is not null"), {"name": name})
    finally:
        eng.dispose()


def _with_identities(accounts: pd.DataFrame, vault_url: str, ring: KeyRing) -> pd.DataFrame:
    """Fill the identifier columns of shop accounts from the vault's customer and address records."""
    identities = {
        key: identity
        for key, identity, _ in read_identities(
            vault_url, "pii.customer_identities", ring, accounts["customer_key"].tolist()
        )
    }
    address_keys = [key for key in accounts["address_key"].tolist() if isinstance(key, str)]
    lines = {
        key: ", ".join(part for part in (identity.get("line1"), identity.get("line2")) if part) or None
        for key, identity, _ in read_identities(vault_url, "pii.address_identities", ring, address_keys)
    }
    missing = len(accounts) - sum(key in identities for key in accounts["customer_key"])
    if missing:
        log.warning(
            "%s shop accounts have no vault record (erased, or loaded by a version without the vault): "
            "they are resolved on their coarse attributes only",
            f"{missing:,}",
        )
    for column in (
        "given_name",
        "family_name",
        "full_name",
        "email",
        "email_canonical",
        "phone",
        "phone_e164",
    ):
        accounts[column] = [identities.get(key, {}).get(column) for key in accounts["customer_key"]]
    births = [identities.get(key, {}).get("birth_date") for key in accounts["customer_key"]]
    accounts["birth_date"] = [datetime.fromisoformat(b).date() if b else None for b in births]
    accounts["address_line"] = [lines.get(key) for key in accounts["address_key"]]
    return accounts


def _shop_frame(url: str, vault_url: str, ring: KeyRing, keys: Iterable[str] | None) -> pd.DataFrame:
    sql, params = SHOP_ACCOUNTS, None
    if keys is not None:
        sql, params = f"{SHOP_ACCOUNTS} where c.customer_key = any(:keys)", {"keys": list(keys)}
    accounts = _query(url, sql, params)
    if accounts.empty:
        return accounts
    return _with_identities(accounts, vault_url, ring)


def _olist_frame(url: str, pseudonymizer: Pseudonymizer, keys: Iterable[str] | None) -> pd.DataFrame:
    if not _relation_exists(url, "staging.stg_olist__customers"):
        return pd.DataFrame()
    accounts = _query(url, OLIST_ACCOUNTS)
    if accounts.empty:
        return accounts
    accounts["customer_key"] = [
        pseudonymizer.customer_key("olist", cid) for cid in accounts["source_customer_id"]
    ]
    if keys is not None:
        accounts = accounts[accounts["customer_key"].isin(set(keys))].copy()
    accounts["source"] = "olist"
    accounts["person_ref"] = [
        pseudonymizer.customer_key("olist", uid) for uid in accounts["customer_unique_id"]
    ]
    accounts["country_code"] = "BR"
    accounts["gender"] = "unknown"
    accounts["email_is_valid"] = False
    accounts["phone_is_valid"] = False
    accounts["is_deleted"] = False
    accounts["created_at"] = accounts["updated_at"] = accounts["first_order_at"]
    return accounts


def _crm_frame(url: str, pseudonymizer: Pseudonymizer, keys: Iterable[str] | None) -> pd.DataFrame:
    """Return CRM accounts: keys and sign-up dates only, the export carries no identifier."""
    if not _relation_exists(url, "staging.stg_crm__customers"):
        return pd.DataFrame()
    accounts = _query(url, CRM_ACCOUNTS)
    if accounts.empty:
        return accounts
    accounts["customer_key"] = [
        pseudonymizer.customer_key("crm", cid) for cid in accounts["source_customer_id"]
    ]
    if keys is not None:
        accounts = accounts[accounts["customer_key"].isin(set(keys))].copy()
    signed_up = pd.to_datetime(accounts["signed_up_on"]).dt.tz_localize("UTC")
    accounts["created_at"] = accounts["updated_at"] = signed_up.astype(object).where(signed_up.notna(), None)
    accounts["source"] = "crm"
    accounts["gender"] = "unknown"
    accounts["email_is_valid"] = False
    accounts["phone_is_valid"] = False
    accounts["is_deleted"] = False
    return accounts.drop(columns=["signed_up_on"])


def pipeline_identity_frame(
    warehouse_url: str,
    vault_url: str,
    keys: Iterable[str] | None = None,
    pseudonymizer: Pseudonymizer | None = None,
    ring: KeyRing | None = None,
) -> pd.DataFrame:
    """Return the identity frame of every account in the warehouse, or only of ``keys``."""
    pseudonymizer = pseudonymizer or Pseudonymizer.from_env()
    ring = ring or KeyRing.from_env()
    keys = None if keys is None else set(keys)
    parts = [
        _shop_frame(warehouse_url, vault_url, ring, keys),
        _olist_frame(warehouse_url, pseudonymizer, keys),
        _crm_frame(warehouse_url, pseudonymizer, keys),
    ]
    parts = [part for part in parts if not part.empty]
    if not parts:
        return pd.DataFrame(columns=[*FRAME_COLUMNS, "loaded_at"])
    frame = pd.concat(parts, ignore_index=True)
    for column in FRAME_COLUMNS:
        if column not in frame.columns:
            frame[column] = None
    frame = frame[[*FRAME_COLUMNS, "loaded_at"]]
    return frame.astype(object).where(frame.notna(), None)


def changed_account_keys(
    warehouse_url: str, since: datetime, pseudonymizer: Pseudonymizer, with_orders: bool = False
) -> set[str]:
    """Return the keys of accounts with a version or default address loaded after ``since``.

    With ``with_orders``, shop accounts with an order or payment loaded after ``since``
    count as changed too: their order facts changed, though their identity did not.
    """
    keys = set(_query(warehouse_url, SHOP_CHANGED, {"since": since}).get("customer_key", pd.Series()))
    if with_orders:
        keys |= set(
            _query(warehouse_url, SHOP_ORDERS_CHANGED, {"since": since}).get("customer_key", pd.Series())
        )
    for source, relation in (
        ("olist", "staging.stg_olist__customers"),
        ("crm", "staging.stg_crm__customers"),
    ):
        if _relation_exists(warehouse_url, relation):
            sql = f"select customer_id::text as customer_id from {relation} where loaded_at > :since"
            rows = _query(warehouse_url, sql, {"since": since})
            keys |= {pseudonymizer.customer_key(source, cid) for cid in rows.get("customer_id", pd.Series())}
    return keys
