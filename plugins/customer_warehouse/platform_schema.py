"""Tables of the simulated e-commerce platform's operational database.

One SQLAlchemy ``MetaData`` serves both the simulator, which creates and fills these
tables on PostgreSQL or MySQL/MariaDB, and the extractor, which reads them by their
``updated_at`` watermark. Every table has ``updated_at``; the tables a platform soft
deletes from also have ``deleted_at``.

``birth_date`` and ``phone`` are free text on purpose: legacy sign-up forms stored them
as typed, so their formats are mixed and staging standardizes them.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

_ts = sa.DateTime(timezone=True)


def _audit_columns(soft_delete: bool) -> list[sa.Column]:
    columns = [
        sa.Column("created_at", _ts, nullable=False),
        sa.Column("updated_at", _ts, nullable=False, index=True),
    ]
    if soft_delete:
        columns.append(sa.Column("deleted_at", _ts, nullable=True))
    return columns


customers = sa.Table(
    "customers",
    metadata,
    sa.Column("customer_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("given_name", sa.String(100)),
    sa.Column("family_name", sa.String(100)),
    sa.Column("full_name", sa.String(200)),
    sa.Column("email", sa.String(254)),
    sa.Column("phone", sa.String(40)),
    sa.Column("birth_date", sa.String(32)),
    sa.Column("gender", sa.String(16)),
    sa.Column("country_code", sa.String(2), nullable=False),
    sa.Column("signup_channel", sa.String(32), nullable=False),
    sa.Column("signup_device_id", sa.String(64)),
    sa.Column("signup_ip", sa.String(45)),
    sa.Column("marketing_opt_in", sa.Boolean, nullable=False),
    *_audit_columns(soft_delete=True),
)

addresses = sa.Table(
    "addresses",
    metadata,
    sa.Column("address_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("address_type", sa.String(16), nullable=False),
    sa.Column("line1", sa.String(200)),
    sa.Column("line2", sa.String(200)),
    sa.Column("city", sa.String(100)),
    sa.Column("state", sa.String(100)),
    sa.Column("postcode", sa.String(16)),
    sa.Column("country_code", sa.String(2), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    *_audit_columns(soft_delete=True),
)

products = sa.Table(
    "products",
    metadata,
    sa.Column("product_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("sku", sa.String(32), nullable=False),
    sa.Column("product_name", sa.String(200), nullable=False),
    sa.Column("category", sa.String(64), nullable=False),
    sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    *_audit_columns(soft_delete=True),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("order_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("customer_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("shipping_address_id", sa.BigInteger),
    sa.Column("order_status", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("shipping_amount", sa.Numeric(12, 2), nullable=False),
    sa.Column("order_total", sa.Numeric(12, 2), nullable=False),
    sa.Column("ordered_at", _ts, nullable=False),
    *_audit_columns(soft_delete=True),
)

order_items = sa.Table(
    "order_items",
    metadata,
    sa.Column("order_item_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("order_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("line_number", sa.Integer, nullable=False),
    sa.Column("product_id", sa.BigInteger, nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
    sa.Column("discount_amount", sa.Numeric(12, 2), nullable=False),
    *_audit_columns(soft_delete=False),
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("payment_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("order_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("payment_method", sa.String(32), nullable=False),
    sa.Column("payment_status", sa.String(16), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("paid_at", _ts),
    *_audit_columns(soft_delete=False),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("review_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("order_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("customer_id", sa.BigInteger, nullable=False),
    sa.Column("product_id", sa.BigInteger, nullable=False),
    sa.Column("rating", sa.SmallInteger, nullable=False),
    sa.Column("title", sa.String(200)),
    sa.Column("body", sa.Text),
    *_audit_columns(soft_delete=True),
)

# Extraction order: parents before children, so a child row never lands before its parent.
EXTRACT_TABLES: tuple[sa.Table, ...] = (
    customers,
    addresses,
    products,
    orders,
    order_items,
    payments,
    reviews,
)

PRIMARY_KEYS: dict[str, str] = {t.name: next(iter(t.primary_key.columns)).name for t in EXTRACT_TABLES}
