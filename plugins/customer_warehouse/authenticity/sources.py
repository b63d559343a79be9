"""Identity frames and account facts of the landed sources, read from their raw tables.

Olist and the CRM export carry no names or contacts, so their frames hold keys, places
and dates only. Each reads the latest loaded row per source key, as staging does: the
most recently loaded row wins, and within one load the later row of the file.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import sqlalchemy as sa

from customer_warehouse import db
from customer_warehouse.authenticity.facts import conform_facts
from customer_warehouse.identity.frame import FRAME_COLUMNS
from customer_warehouse.pii.keys import Pseudonymizer

log = logging.getLogger(__name__)

# Olist wall-clock times are Brazil's (America/Sao_Paulo), without a zone.
OLIST_TIME_ZONE = "America/Sao_Paulo"
OLIST_CANCELLED = "canceled"
_LATEST = "order by {key}, _loaded_at desc, _batch_id desc, _source_row desc nulls last"

_OLIST_CUSTOMERS = f"""
    select distinct on (customer_id)
        customer_id, customer_unique_id, customer_zip_code_prefix, customer_city, customer_state,
        _loaded_at
    from raw.olist_customers
    where customer_id is not null
    {_LATEST.format(key="customer_id")}
"""
_OLIST_ORDERS = f"""
    with orders as (
        select distinct on (order_id) order_id, customer_id, order_status, order_purchase_timestamp
        from raw.olist_orders
        where order_id is not null
        {_LATEST.format(key="order_id")}
    ),
    item_totals as (
        select order_id, sum(price + coalesce(freight_value, 0)) as order_value
        from (
            select distinct on (order_id, order_item_id) order_id, price, freight_value
            from raw.olist_order_items
            {_LATEST.format(key="order_id, order_item_id")}
        ) as items
        group by order_id
    ),
    payment_counts as (
        select order_id, count(*) as payments
        from (
            select distinct on (order_id, payment_sequential) order_id
            from raw.olist_order_payments
            {_LATEST.format(key="order_id, payment_sequential")}
        ) as payments
        group by order_id
    )
    select orders.customer_id, orders.order_status, orders.order_purchase_timestamp,
        item_totals.order_value, coalesce(payment_counts.payments, 0) as payments
    from orders
    left join item_totals using (order_id)
    left join payment_counts using (order_id)
"""
_CRM_CUSTOMERS = f"""
    select distinct on (id) *
    from raw.crm_customers
    where id is not null
    {_LATEST.format(key="id")}
"""
_CRM_SPEND = (
    "mntwines",
    "mntfruits",
    "mntmeatproducts",
    "mntfishproducts",
    "mntsweetproducts",
    "mntgoldprods",
)
_CRM_PURCHASES = ("numwebpurchases", "numcatalogpurchases", "numstorepurchases")


def _read(warehouse_url: str, query: str) -> pd.DataFrame:
    engine = db.engine(warehouse_url)
    try:
        with engine.connect() as conn:
            return pd.read_sql(sa.text(query), conn)
    finally:
        engine.dispose()


def _frame(rows: dict[str, object], count: int) -> pd.DataFrame:
    """Build an identity frame of ``count`` rows from the given columns; the rest are None."""
    columns = {name: rows.get(name, [None] * count) for name in FRAME_COLUMNS}
    return pd.DataFrame(columns, columns=list(FRAME_COLUMNS))


def _olist_zip_prefix(value: object) -> str | None:
    digits = "".join(char for char in str(value) if char.isdigit()) if value is not None else ""
    return digits.zfill(5) if 0 < len(digits) <= 5 else (digits or None)


def olist_frames(warehouse_url: str, keys: Pseudonymizer) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the identity frame and account facts of every Olist customer_id in ``raw``.

    An Olist customer_id is created with its order, so the account's creation time is its
    first purchase (converted to UTC). Order value is the items' price plus freight.
    """
    customers = _read(warehouse_url, _OLIST_CUSTOMERS)
    orders = _read(warehouse_url, _OLIST_ORDERS)
    purchased = pd.to_datetime(orders["order_purchase_timestamp"]).dt.tz_localize(
        OLIST_TIME_ZONE, ambiguous="NaT", nonexistent="shift_forward"
    )
    orders["purchased_at"] = purchased.dt.tz_convert("UTC")
    first = orders.groupby("customer_id")["purchased_at"].min()
    ids = customers["customer_id"]
    frame = _frame(
        {
            "customer_key": [keys.customer_key("olist", value) for value in ids],
            "source": ["olist"] * len(ids),
            "source_customer_id": ids.tolist(),
            "person_ref": customers["customer_unique_id"].tolist(),
            "country_code": ["BR"] * len(ids),
            "city": customers["customer_city"].tolist(),
            "state": customers["customer_state"].tolist(),
            "postcode": customers["customer_zip_code_prefix"].map(_olist_zip_prefix).tolist(),
            "created_at": ids.map(first).tolist(),
            "updated_at": pd.to_datetime(customers["_loaded_at"], utc=True).tolist(),
            "is_deleted": [False] * len(ids),
        },
        len(ids),
    )
    facts = _order_facts(orders, OLIST_CANCELLED)
    facts = ids.to_frame().merge(facts, on="customer_id", how="left")
    facts["customer_key"] = frame["customer_key"]
    log.info(
        "built the identity frame and facts of %s Olist accounts (%s orders)",
        f"{len(ids):,}",
        f"{len(orders):,}",
    )
    return frame, conform_facts(facts.drop(columns="customer_id"))


def _order_facts(orders: pd.DataFrame, cancelled: str) -> pd.DataFrame:
    """Aggregate order rows (customer_id, order_status, order_value, payments) per customer."""
    live = orders["order_status"] != cancelled
    work = orders.assign(
        unpaid=(live & (orders["payments"] == 0)).astype(int),
        live_value=orders["order_value"].where(live, 0).fillna(0),
    )
    grouped = work.groupby("customer_id")
    return pd.DataFrame(
        {
            "order_count": grouped.size(),
            "orders_without_payment": grouped["unpaid"].sum(),
            "payment_count": grouped["payments"].sum(),
            "spend": grouped["live_value"].sum(),
            "order_value_mean": grouped["order_value"].mean(),
            "order_value_max": grouped["order_value"].max(),
        }
    ).reset_index()


def crm_frames(warehouse_url: str, keys: Pseudonymizer) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the identity frame and account facts of every CRM customer in ``raw.crm_customers``.

    Purchases are the web, catalogue and store purchases (deal purchases are a subset of
    them); spend is the two-year spend over all product groups. The export records no
    payments, so payment facts are unknown rather than 0.
    """
    rows = _read(warehouse_url, _CRM_CUSTOMERS)
    ids = rows["id"].astype("int64").astype(str)
    enrolled = pd.to_datetime(rows["dt_customer"]).dt.tz_localize("UTC")
    frame = _frame(
        {
            "customer_key": [keys.customer_key("crm", value) for value in ids],
            "source": ["crm"] * len(ids),
            "source_customer_id": ids.tolist(),
            "created_at": enrolled.tolist(),
            "updated_at": pd.to_datetime(rows["_loaded_at"], utc=True).tolist(),
            "is_deleted": [False] * len(ids),
        },
        len(ids),
    )
    spend = rows[list(_CRM_SPEND)].astype(float).sum(axis=1, min_count=1)
    purchases = rows[list(_CRM_PURCHASES)].astype(float).sum(axis=1, min_count=1)
    facts = pd.DataFrame(
        {
            "customer_key": frame["customer_key"],
            "order_count": purchases,
            "spend": spend,
            "order_value_mean": np.where(purchases > 0, spend / purchases.where(purchases > 0), np.nan),
            "income": rows["income"].astype(float),
            "marital_status": rows["marital_status"],
            "education": rows["education"],
            "kids": rows["kidhome"].astype(float) + rows["teenhome"].astype(float),
            "birth_year": rows["year_birth"].astype(float),
        }
    )
    log.info("built the identity frame and facts of %s CRM accounts", f"{len(ids):,}")
    return frame, conform_facts(facts)
