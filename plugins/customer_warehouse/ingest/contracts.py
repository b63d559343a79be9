"""Raw contracts: what each landed file layout must contain before it reaches ``raw``.

A contract lists an entity's columns in the raw table's order with their type, whether
the file must have the column (``required``), whether the column is part of the record
key (``key``: must not be null) and whether its timestamps must not lie in the future.
Loaders check every value against these rules and quarantine the records that break one.

Olist timestamps are local time without a zone, so ``timestamp`` columns stay naive;
events carry a zone, so theirs are ``timestamptz``. A ``date`` column names the layout its
source writes (``date_format``), because day-first and month-first dates cannot be told
apart by looking at a value such as ``04-09-2012``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ColumnType(enum.Enum):
    TEXT = "text"
    SMALLINT = "smallint"
    INTEGER = "integer"
    BIGINT = "bigint"
    NUMERIC = "numeric(12, 2)"
    DOUBLE = "double precision"
    TIMESTAMP = "timestamp"
    TIMESTAMPTZ = "timestamptz"
    DATE = "date"
    JSON = "jsonb"


# Inclusive value ranges of the integer types, so an out-of-range value is quarantined
# instead of failing the whole COPY.
INTEGER_RANGES: dict[ColumnType, tuple[int, int]] = {
    ColumnType.SMALLINT: (-(2**15), 2**15 - 1),
    ColumnType.INTEGER: (-(2**31), 2**31 - 1),
    ColumnType.BIGINT: (-(2**63), 2**63 - 1),
}

# numeric(12, 2) stores at most 10 digits before the decimal point.
NUMERIC_LIMIT = 1e10


@dataclass(frozen=True)
class Column:
    """One column of a raw contract."""

    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    key: bool = False
    not_future: bool = False
    # strptime layout of a DATE column, built from %d, %m and %Y only.
    date_format: str = "%Y-%m-%d"


@dataclass(frozen=True)
class Contract:
    """Layout of one landed entity and the raw table it loads into."""

    source: str
    entity: str
    table: str
    file_prefix: str
    columns: tuple[Column, ...]
    has_extra: bool = True

    @property
    def key_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required or c.key)


def _key(name: str, type_: ColumnType = ColumnType.TEXT) -> Column:
    return Column(name, type_, required=True, key=True)


def _required(name: str, type_: ColumnType = ColumnType.TEXT, not_future: bool = False) -> Column:
    return Column(name, type_, required=True, not_future=not_future)


def _optional(name: str, type_: ColumnType = ColumnType.TEXT, not_future: bool = False) -> Column:
    return Column(name, type_, not_future=not_future)


def _counts(*names: str) -> tuple[Column, ...]:
    return tuple(_optional(name, ColumnType.INTEGER) for name in names)


T = ColumnType

OLIST_CONTRACTS: tuple[Contract, ...] = (
    Contract(
        "olist",
        "customers",
        "raw.olist_customers",
        "olist_customers_dataset",
        (
            _key("customer_id"),
            _required("customer_unique_id"),
            _optional("customer_zip_code_prefix"),
            _optional("customer_city"),
            _optional("customer_state"),
        ),
    ),
    Contract(
        "olist",
        "orders",
        "raw.olist_orders",
        "olist_orders_dataset",
        (
            _key("order_id"),
            _required("customer_id"),
            _required("order_status"),
            _required("order_purchase_timestamp", T.TIMESTAMP, not_future=True),
            _optional("order_approved_at", T.TIMESTAMP, not_future=True),
            _optional("order_delivered_carrier_date", T.TIMESTAMP, not_future=True),
            _optional("order_delivered_customer_date", T.TIMESTAMP, not_future=True),
            # The estimated delivery date of an open order lies in the future by design.
            _optional("order_estimated_delivery_date", T.TIMESTAMP),
        ),
    ),
    Contract(
        "olist",
        "order_items",
        "raw.olist_order_items",
        "olist_order_items_dataset",
        (
            _key("order_id"),
            _key("order_item_id", T.INTEGER),
            _required("product_id"),
            _required("seller_id"),
            # The seller's shipping deadline may lie in the future for an open order.
            _optional("shipping_limit_date", T.TIMESTAMP),
            _required("price", T.NUMERIC),
            _optional("freight_value", T.NUMERIC),
        ),
    ),
    Contract(
        "olist",
        "order_payments",
        "raw.olist_order_payments",
        "olist_order_payments_dataset",
        (
            _key("order_id"),
            _key("payment_sequential", T.INTEGER),
            _required("payment_type"),
            _optional("payment_installments", T.INTEGER),
            _required("payment_value", T.NUMERIC),
        ),
    ),
    Contract(
        "olist",
        "order_reviews",
        "raw.olist_order_reviews",
        "olist_order_reviews_dataset",
        (
            # review_id repeats across orders in the export, so the key is the pair.
            _key("review_id"),
            _key("order_id"),
            _required("review_score", T.SMALLINT),
            _optional("review_comment_title"),
            _optional("review_comment_message"),
            _optional("review_creation_date", T.TIMESTAMP, not_future=True),
            _optional("review_answer_timestamp", T.TIMESTAMP, not_future=True),
        ),
    ),
    Contract(
        "olist",
        "products",
        "raw.olist_products",
        "olist_products_dataset",
        (
            _key("product_id"),
            _optional("product_category_name"),
            _optional("product_name_lenght", T.INTEGER),
            _optional("product_description_lenght", T.INTEGER),
            _optional("product_photos_qty", T.INTEGER),
            _optional("product_weight_g", T.INTEGER),
            _optional("product_length_cm", T.INTEGER),
            _optional("product_height_cm", T.INTEGER),
            _optional("product_width_cm", T.INTEGER),
        ),
    ),
    Contract(
        "olist",
        "sellers",
        "raw.olist_sellers",
        "olist_sellers_dataset",
        (
            _key("seller_id"),
            _optional("seller_zip_code_prefix"),
            _optional("seller_city"),
            _optional("seller_state"),
        ),
    ),
    Contract(
        "olist",
        "product_category_name_translation",
        "raw.olist_product_category_name_translation",
        "product_category_name_translation",
        (
            _key("product_category_name"),
            _required("product_category_name_english"),
        ),
    ),
    Contract(
        "olist",
        "geolocation",
        "raw.olist_geolocation",
        "olist_geolocation_dataset",
        (
            _key("geolocation_zip_code_prefix"),
            _required("geolocation_lat", T.DOUBLE),
            _required("geolocation_lng", T.DOUBLE),
            _optional("geolocation_city"),
            _optional("geolocation_state"),
        ),
    ),
)

# The customer-personality CRM export: one tab-separated file, dates written day first
# (dd-mm-yyyy). Column names are the export's, lower-cased, because the loader matches
# header names without regard to case.
CRM_CONTRACTS: tuple[Contract, ...] = (
    Contract(
        "crm",
        "customers",
        "raw.crm_customers",
        "marketing_campaign",
        (
            _key("id", T.BIGINT),
            _optional("year_birth", T.INTEGER),
            _optional("education"),
            _optional("marital_status"),
            _optional("income", T.NUMERIC),
            *_counts("kidhome", "teenhome"),
            Column("dt_customer", T.DATE, required=True, not_future=True, date_format="%d-%m-%Y"),
            *_counts(
                "recency",
                "mntwines",
                "mntfruits",
                "mntmeatproducts",
                "mntfishproducts",
                "mntsweetproducts",
                "mntgoldprods",
                "numdealspurchases",
                "numwebpurchases",
                "numcatalogpurchases",
                "numstorepurchases",
                "numwebvisitsmonth",
                "acceptedcmp3",
                "acceptedcmp4",
                "acceptedcmp5",
                "acceptedcmp1",
                "acceptedcmp2",
                "complain",
                "z_costcontact",
                "z_revenue",
                "response",
            ),
        ),
    ),
)

# Contracts of the CSV sources in the landing folder, by source (the folder's name).
LANDED_CSV_CONTRACTS: dict[str, tuple[Contract, ...]] = {"olist": OLIST_CONTRACTS, "crm": CRM_CONTRACTS}

# raw.shop_events has no _extra column: unknown top-level keys are kept in properties.
EVENTS_CONTRACT = Contract(
    "events",
    "events",
    "raw.shop_events",
    "",
    (
        _key("event_id"),
        _key("event_type"),
        Column("occurred_at", T.TIMESTAMPTZ, required=True, key=True, not_future=True),
        _optional("session_id"),
        _optional("customer_id", T.BIGINT),
        _optional("anonymous_id"),
        _optional("device_id"),
        _optional("ip"),
        _optional("page_url"),
        _optional("product_id", T.BIGINT),
        _optional("order_id", T.BIGINT),
        _optional("user_agent"),
        _optional("properties", T.JSON),
    ),
    has_extra=False,
)

EVENT_FILE_SUFFIXES = (".jsonl", ".ndjson", ".json")


def csv_contract_for(source: str, file_name: str) -> Contract | None:
    """Return the contract of ``source`` whose file name prefix ``file_name`` starts with, if any."""
    lowered = file_name.lower()
    if not lowered.endswith(".csv"):
        return None
    for contract in LANDED_CSV_CONTRACTS.get(source, ()):
        if lowered.startswith(contract.file_prefix):
            return contract
    return None


def expected_csv_names(source: str) -> str:
    return ", ".join(f"{c.file_prefix}*.csv" for c in LANDED_CSV_CONTRACTS.get(source, ()))
