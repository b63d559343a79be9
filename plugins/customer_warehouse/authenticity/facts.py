"""The account facts frame: order, payment and profile facts per account, beside the identity frame.

Authenticity scoring reads identifiers from the identity frame and everything else from
this frame. It contains no direct identifier, only counts, amounts and coarse attributes,
so it may be built from the warehouse as well as from a source. ``shop_account_facts``
builds it from a shop database; ``sources`` builds it for the Olist and CRM raw tables.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import sqlalchemy as sa

from customer_warehouse import db, platform_schema
from customer_warehouse.pii.keys import Pseudonymizer

log = logging.getLogger(__name__)

# Column name -> meaning. Unknown numbers are NaN, unknown text is None.
FACTS_COLUMNS: dict[str, str] = {
    "customer_key": "pseudonymous account key, as in the identity frame and the marts",
    "order_count": "orders the account placed, cancelled ones included (0 when none)",
    "orders_without_payment": "orders neither cancelled nor deleted that have no payment record at all",
    "payment_count": "payment records of the account's orders, any status (NaN when the source has none)",
    "spend": "total value of the account's orders that were not cancelled, in the source's currency",
    "order_value_mean": "mean order value, in the source's currency (NaN without orders)",
    "order_value_max": "largest order value, in the source's currency (NaN without orders)",
    "income": "yearly household income the customer declared (CRM), in the source's currency",
    "marital_status": "marital status as the source wrote it (CRM)",
    "education": "education level as the source wrote it (CRM)",
    "kids": "children and teenagers in the household (CRM)",
    "birth_year": "birth year when the source has no full birth date (CRM Year_Birth)",
}
NUMERIC_FACTS = (
    "order_count",
    "orders_without_payment",
    "payment_count",
    "spend",
    "order_value_mean",
    "order_value_max",
    "income",
    "kids",
    "birth_year",
)
CANCELLED_STATUS = "cancelled"


def empty_facts() -> pd.DataFrame:
    return conform_facts(pd.DataFrame({"customer_key": pd.Series(dtype="object")}))


def conform_facts(facts: pd.DataFrame) -> pd.DataFrame:
    """Return ``facts`` with every column of FACTS_COLUMNS, in order, numbers as floats.

    A builder fills the columns its source has; the others are added as unknown.
    """
    unknown = sorted(set(facts.columns) - set(FACTS_COLUMNS))
    if unknown:
        raise ValueError(f"account facts have unknown columns {unknown}; expected only {list(FACTS_COLUMNS)}")
    if facts["customer_key"].isna().any():
        raise ValueError("account facts have rows without customer_key; every row must name its account")
    duplicated = facts["customer_key"].duplicated()
    if duplicated.any():
        raise ValueError(
            f"account facts repeat {int(duplicated.sum())} customer_key values; build one row per account"
        )
    out = pd.DataFrame(index=facts.index)
    for name in FACTS_COLUMNS:
        if name in NUMERIC_FACTS:
            values = facts[name] if name in facts else np.nan
            out[name] = pd.to_numeric(pd.Series(values, index=facts.index), errors="coerce").astype("float64")
        else:
            values = facts[name] if name in facts else None
            out[name] = pd.Series(values, index=facts.index, dtype="object")
    return out.reset_index(drop=True)


def _shop_order_query() -> sa.Select:
    orders, payments = platform_schema.orders, platform_schema.payments
    per_order = (
        sa.select(payments.c.order_id, sa.func.count().label("payments"))
        .group_by(payments.c.order_id)
        .subquery()
    )
    live = orders.c.order_status != CANCELLED_STATUS
    return (
        sa.select(
            orders.c.customer_id,
            sa.func.count().label("order_count"),
            sa.func.sum(sa.case((live & per_order.c.payments.is_(None), 1), else_=0)).label(
                "orders_without_payment"
            ),
            sa.func.coalesce(sa.func.sum(per_order.c.payments), 0).label("payment_count"),
            sa.func.coalesce(sa.func.sum(sa.case((live, orders.c.order_total), else_=0)), 0).label("spend"),
            sa.func.avg(orders.c.order_total).label("order_value_mean"),
            sa.func.max(orders.c.order_total).label("order_value_max"),
        )
        .select_from(orders.outerjoin(per_order, per_order.c.order_id == orders.c.order_id))
        .where(orders.c.deleted_at.is_(None))
        .group_by(orders.c.customer_id)
    )


def shop_account_facts(shop_url: str, keys: Pseudonymizer) -> pd.DataFrame:
    """Aggregate every shop customer's orders and payments into the account facts frame."""
    engine = db.engine(shop_url)
    try:
        with engine.connect() as conn:
            ids = pd.read_sql(sa.select(platform_schema.customers.c.customer_id), conn)
            orders = pd.read_sql(_shop_order_query(), conn)
    finally:
        engine.dispose()
    facts = ids.merge(orders, on="customer_id", how="left")
    for name in ("order_count", "orders_without_payment", "payment_count", "spend"):
        facts[name] = facts[name].fillna(0)
    facts["customer_key"] = [keys.customer_key("shop", value) for value in facts.pop("customer_id")]
    log.info(
        "built account facts of %s shop accounts (%s with orders)", f"{len(facts):,}", f"{len(orders):,}"
    )
    return conform_facts(facts)
