"""Suite ``raw_inputs``: the rows each load wrote into the ``raw`` schema.

The runner validates only the current run's batches when it is given their ids, so the
cost follows the size of the load, not of the table. Column lists and types mirror
``plugins/customer_warehouse/sql/002_raw.sql``: change both together.

Severity: a ``critical`` failure means staging would build wrong marts from these rows,
for example from a missing key, a wrong type, negative money or an unknown code. A
``warning`` is a quality figure to watch, such as malformed contact details that staging
already tolerates.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from customer_warehouse.quality.spec import TableSuite, critical, warning

SUITE_NAME = "raw_inputs"

TZ = "TIMESTAMP WITH TIME ZONE"
TS = "TIMESTAMP WITHOUT TIME ZONE"
MONEY = "NUMERIC(12, 2)"

LINEAGE = {
    "_batch_id": "TEXT",
    "_source": "TEXT",
    "_source_object": "TEXT",
    "_source_row": "BIGINT",
    "_loaded_at": TZ,
}
OLIST_LINEAGE = {"_extra": "JSONB", **LINEAGE}
SHOP_AUDIT = {"created_at": TZ, "updated_at": TZ, "deleted_at": TZ}

OLIST_ORDER_STATUSES = [
    "created", "approved", "invoiced", "processing", "shipped", "delivered", "canceled", "unavailable",
]  # fmt: skip
OLIST_PAYMENT_TYPES = ["credit_card", "boleto", "voucher", "debit_card", "not_defined"]
# The statuses the simulator writes. The shop schema declares order_status as free text,
# so a platform may add one: an unknown status is a warning, not critical.
SHOP_ORDER_STATUSES = ["placed", "paid", "shipped", "delivered", "cancelled", "returned"]

STATE_PATTERN = r"^[A-Z]{2}$"
ZIP_PREFIX_PATTERN = r"^[0-9]{4,5}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
KEY_PATTERN = r"^[0-9a-f]{64}$"


def _not_null(column: str, why: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToNotBeNull(column=column, **critical(why))


def _at_least_zero(column: str, what: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=0, **critical(f"{what} is never negative; a negative value breaks revenue")
    )


def _version_unique(key: str) -> gxe.Expectation:
    return gxe.ExpectCompoundColumnsToBeUnique(
        column_list=[key, "updated_at"],
        **critical(f"the extractor skips versions ({key}, updated_at) raw already holds"),
    )


def shop_customers() -> TableSuite:
    return TableSuite(
        table="raw.shop_customers",
        columns={
            "customer_id": "BIGINT",
            "gender": "TEXT",
            "country_code": "TEXT",
            "signup_channel": "TEXT",
            "marketing_opt_in": "BOOLEAN",
            **SHOP_AUDIT,
            "customer_key": "TEXT",
            "email_domain": "TEXT",
            "email_is_valid": "BOOLEAN",
            "phone_is_present": "BOOLEAN",
            "phone_is_valid": "BOOLEAN",
            "phone_region": "TEXT",
            "birth_year": "INTEGER",
            "birth_date_status": "TEXT",
            "age_at_signup": "INTEGER",
            "signup_device_key": "TEXT",
            "signup_ip_key": "TEXT",
            **LINEAGE,
        },  # fmt: skip
        identifier_columns=frozenset({"customer_key", "signup_device_key", "signup_ip_key"}),
        row_checks=[
            _not_null("customer_id", "staging keeps one version per customer_id"),
            _not_null("customer_key", "every mart joins accounts on it, and the vault record has it"),
            _not_null("updated_at", "staging keeps the latest version per key by updated_at"),
            _version_unique("customer_id"),
            gxe.ExpectColumnValuesToMatchRegex(
                column="customer_key",
                regex=KEY_PATTERN,
                **critical("a key that is not a 64-hex HMAC means the split did not pseudonymize the row"),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="email_is_valid",
                value_set=[True],
                mostly=0.95,
                **warning(
                    "legacy sign-up forms let malformed addresses through; many point to fake accounts"
                ),
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="birth_date_status",
                value_set=["valid", "missing", "unparseable"],
                **critical("staging reads the birth year only from rows whose status is valid"),
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="country_code",
                regex=COUNTRY_PATTERN,
                mostly=0.99,
                **warning("country is an ISO 3166-1 alpha-2 code; dim_customers groups by it"),
            ),
        ],
    )


def shop_addresses() -> TableSuite:
    return TableSuite(
        table="raw.shop_addresses",
        columns={
            "address_id": "BIGINT",
            "customer_id": "BIGINT",
            "address_type": "TEXT",
            "city": "TEXT",
            "state": "TEXT",
            "postcode": "TEXT",
            "country_code": "TEXT",
            "is_default": "BOOLEAN",
            **SHOP_AUDIT,
            "address_key": "TEXT",
            "customer_key": "TEXT",
            "has_street_address": "BOOLEAN",
            **LINEAGE,
        },  # fmt: skip
        identifier_columns=frozenset({"postcode", "address_key", "customer_key"}),
        row_checks=[
            _not_null("address_id", "addresses are versioned by address_id"),
            _not_null("customer_id", "an address without its customer cannot be attached to one"),
            _version_unique("address_id"),
            gxe.ExpectColumnValuesToMatchRegex(
                column="country_code",
                regex=COUNTRY_PATTERN,
                mostly=0.99,
                **warning("ISO 3166-1 alpha-2 code"),
            ),
        ],
    )


def shop_products() -> TableSuite:
    return TableSuite(
        table="raw.shop_products",
        columns={
            "product_id": "BIGINT",
            "sku": "TEXT",
            "product_name": "TEXT",
            "category": "TEXT",
            "unit_price": MONEY,
            "currency": "TEXT",
            **SHOP_AUDIT,
            **LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("product_id", "product_key is derived from it"),
            _version_unique("product_id"),
            _at_least_zero("unit_price", "a list price"),
            gxe.ExpectColumnValuesToMatchRegex(
                column="currency",
                regex=CURRENCY_PATTERN,
                **critical("amounts are summed per ISO 4217 currency"),
            ),
        ],
    )


def shop_orders() -> TableSuite:
    return TableSuite(
        table="raw.shop_orders",
        columns={
            "order_id": "BIGINT",
            "customer_id": "BIGINT",
            "shipping_address_id": "BIGINT",
            "order_status": "TEXT",
            "currency": "TEXT",
            "shipping_amount": MONEY,
            "order_total": MONEY,
            "ordered_at": TZ,
            **SHOP_AUDIT,
            **LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("order_id", "order_key is derived from it"),
            _not_null("customer_id", "an order without its customer is lost to RFM"),
            _not_null("ordered_at", "recency and order_date come from it"),
            _version_unique("order_id"),
            gxe.ExpectColumnValuesToBeInSet(
                column="order_status",
                value_set=SHOP_ORDER_STATUSES,
                **warning("staging maps each known status; an unknown one lands as not cancelled"),
            ),
            _at_least_zero("shipping_amount", "shipping"),
            _at_least_zero("order_total", "an order total"),
            gxe.ExpectColumnValuesToMatchRegex(
                column="currency",
                regex=CURRENCY_PATTERN,
                **critical("amounts are summed per ISO 4217 currency"),
            ),
        ],
    )


def shop_order_items() -> TableSuite:
    return TableSuite(
        table="raw.shop_order_items",
        columns={
            "order_item_id": "BIGINT",
            "order_id": "BIGINT",
            "line_number": "INTEGER",
            "product_id": "BIGINT",
            "quantity": "INTEGER",
            "unit_price": MONEY,
            "discount_amount": MONEY,
            "created_at": TZ,
            "updated_at": TZ,
            **LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("order_item_id", "order_item_key is derived from it"),
            _not_null("order_id", "a line without its order cannot be attached to one"),
            _version_unique("order_item_id"),
            gxe.ExpectColumnValuesToBeBetween(
                column="quantity", min_value=1, **critical("a line sells at least one unit")
            ),
            _at_least_zero("unit_price", "a unit price"),
            _at_least_zero("discount_amount", "a discount"),
        ],
    )


def shop_payments() -> TableSuite:
    return TableSuite(
        table="raw.shop_payments",
        columns={
            "payment_id": "BIGINT",
            "order_id": "BIGINT",
            "payment_method": "TEXT",
            "payment_status": "TEXT",
            "amount": MONEY,
            "currency": "TEXT",
            "paid_at": TZ,
            "created_at": TZ,
            "updated_at": TZ,
            **LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("payment_id", "payments are versioned by payment_id"),
            _not_null("order_id", "payment_total is summed per order"),
            _version_unique("payment_id"),
            _at_least_zero("amount", "a payment"),
        ],
    )


def shop_reviews() -> TableSuite:
    return TableSuite(
        table="raw.shop_reviews",
        columns={
            "review_id": "BIGINT",
            "order_id": "BIGINT",
            "customer_id": "BIGINT",
            "product_id": "BIGINT",
            "rating": "SMALLINT",
            "title": "TEXT",
            "body": "TEXT",
            **SHOP_AUDIT,
            **LINEAGE,
        },  # fmt: skip
        # Review text is free text that customers sign with names and addresses.
        identifier_columns=frozenset({"title", "body"}),
        row_checks=[
            _not_null("review_id", "reviews are versioned by review_id"),
            _not_null("order_id", "a review belongs to an order"),
            _version_unique("review_id"),
            gxe.ExpectColumnValuesToBeBetween(
                column="rating", min_value=1, max_value=5, **critical("ratings are 1 to 5 stars")
            ),
        ],
    )


def shop_events() -> TableSuite:
    return TableSuite(
        table="raw.shop_events",
        columns={
            "event_id": "TEXT",
            "event_type": "TEXT",
            "occurred_at": TZ,
            "session_id": "TEXT",
            "customer_id": "BIGINT",
            "anonymous_key": "TEXT",
            "device_key": "TEXT",
            "ip_key": "TEXT",
            "page_url": "TEXT",
            "product_id": "BIGINT",
            "order_id": "BIGINT",
            "user_agent": "TEXT",
            "properties": "JSONB",
            **LINEAGE,
        },  # fmt: skip
        identifier_columns=frozenset(
            {"anonymous_key", "device_key", "ip_key", "user_agent", "page_url", "properties"}
        ),
        row_checks=[
            _not_null("event_id", "events are deduplicated by event_id"),
            _not_null("event_type", "every event has a type"),
            _not_null("occurred_at", "sessions are ordered by occurred_at"),
        ],
    )


def olist_customers() -> TableSuite:
    return TableSuite(
        table="raw.olist_customers",
        columns={
            "customer_id": "TEXT",
            "customer_unique_id": "TEXT",
            "customer_zip_code_prefix": "TEXT",
            "customer_city": "TEXT",
            "customer_state": "TEXT",
            **OLIST_LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("customer_id", "orders refer to customers by customer_id"),
            _not_null("customer_unique_id", "customer_key is derived from it"),
            gxe.ExpectColumnValuesToMatchRegex(
                column="customer_zip_code_prefix",
                regex=ZIP_PREFIX_PATTERN,
                **critical(
                    "Olist zip prefixes are the first 4-5 digits of a CEP; anything else is a shifted column"
                ),
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="customer_state",
                regex=STATE_PATTERN,
                **critical("Brazilian states are two upper-case letters"),
            ),
        ],
    )


def olist_orders() -> TableSuite:
    return TableSuite(
        table="raw.olist_orders",
        columns={
            "order_id": "TEXT",
            "customer_id": "TEXT",
            "order_status": "TEXT",
            "order_purchase_timestamp": TS,
            "order_approved_at": TS,
            "order_delivered_carrier_date": TS,
            "order_delivered_customer_date": TS,
            "order_estimated_delivery_date": TS,
            **OLIST_LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("order_id", "order_key is derived from it"),
            _not_null("customer_id", "an order without its customer is lost to RFM"),
            _not_null("order_purchase_timestamp", "recency and order_date come from it"),
            gxe.ExpectColumnValuesToBeInSet(
                column="order_status",
                value_set=OLIST_ORDER_STATUSES,
                **critical("staging maps each Olist status; an unknown one means the export layout changed"),
            ),
        ],
    )


def olist_order_items() -> TableSuite:
    return TableSuite(
        table="raw.olist_order_items",
        columns={
            "order_id": "TEXT",
            "order_item_id": "INTEGER",
            "product_id": "TEXT",
            "seller_id": "TEXT",
            "shipping_limit_date": TS,
            "price": MONEY,
            "freight_value": MONEY,
            **OLIST_LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("order_id", "a line without its order cannot be attached to one"),
            _not_null("order_item_id", "lines are numbered within their order"),
            _at_least_zero("price", "an item price"),
            _at_least_zero("freight_value", "freight"),
        ],
    )


def olist_order_payments() -> TableSuite:
    return TableSuite(
        table="raw.olist_order_payments",
        columns={
            "order_id": "TEXT",
            "payment_sequential": "INTEGER",
            "payment_type": "TEXT",
            "payment_installments": "INTEGER",
            "payment_value": MONEY,
            **OLIST_LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("order_id", "payment_total is summed per order"),
            _at_least_zero("payment_value", "a payment"),
            gxe.ExpectColumnValuesToBeInSet(
                column="payment_type",
                value_set=OLIST_PAYMENT_TYPES,
                **warning("an unknown payment type means the export vocabulary changed"),
            ),
        ],
    )


def olist_order_reviews() -> TableSuite:
    return TableSuite(
        table="raw.olist_order_reviews",
        columns={
            "review_id": "TEXT",
            "order_id": "TEXT",
            "review_score": "SMALLINT",
            "review_comment_title": "TEXT",
            "review_comment_message": "TEXT",
            "review_creation_date": TS,
            "review_answer_timestamp": TS,
            **OLIST_LINEAGE,
        },  # fmt: skip
        identifier_columns=frozenset({"review_comment_title", "review_comment_message"}),
        row_checks=[
            _not_null("review_id", "reviews are keyed by review_id"),
            _not_null("order_id", "a review belongs to an order"),
            gxe.ExpectColumnValuesToBeBetween(
                column="review_score", min_value=1, max_value=5, **critical("review scores are 1 to 5")
            ),
        ],
    )


def olist_products() -> TableSuite:
    counts = ["product_name_lenght", "product_description_lenght", "product_photos_qty", "product_weight_g"]
    sizes = ["product_length_cm", "product_height_cm", "product_width_cm"]
    return TableSuite(
        table="raw.olist_products",
        columns={
            "product_id": "TEXT",
            "product_category_name": "TEXT",
            **dict.fromkeys(counts + sizes, "INTEGER"),
            **OLIST_LINEAGE,
        },  # fmt: skip
        row_checks=[_not_null("product_id", "product_key is derived from it")],
    )


def olist_sellers() -> TableSuite:
    return TableSuite(
        table="raw.olist_sellers",
        columns={
            "seller_id": "TEXT",
            "seller_zip_code_prefix": "TEXT",
            "seller_city": "TEXT",
            "seller_state": "TEXT",
            **OLIST_LINEAGE,
        },  # fmt: skip
        row_checks=[
            _not_null("seller_id", "seller_key is derived from it"),
            gxe.ExpectColumnValuesToMatchRegex(
                column="seller_zip_code_prefix",
                regex=ZIP_PREFIX_PATTERN,
                **critical("Olist zip prefixes are the first 4-5 digits of a CEP"),
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="seller_state",
                regex=STATE_PATTERN,
                **critical("Brazilian states are two upper-case letters"),
            ),
        ],
    )


def olist_product_category_name_translation() -> TableSuite:
    return TableSuite(
        table="raw.olist_product_category_name_translation",
        columns={"product_category_name": "TEXT", "product_category_name_english": "TEXT", **OLIST_LINEAGE},
        row_checks=[_not_null("product_category_name", "the translation is joined on it")],
    )


def olist_geolocation() -> TableSuite:
    return TableSuite(
        table="raw.olist_geolocation",
        columns={
            "geolocation_zip_code_prefix": "TEXT",
            "geolocation_lat": "DOUBLE PRECISION",
            "geolocation_lng": "DOUBLE PRECISION",
            "geolocation_city": "TEXT",
            "geolocation_state": "TEXT",
            **OLIST_LINEAGE,
        },  # fmt: skip
        row_checks=[
            gxe.ExpectColumnValuesToMatchRegex(
                column="geolocation_zip_code_prefix",
                regex=ZIP_PREFIX_PATTERN,
                **critical("Olist zip prefixes are the first 4-5 digits of a CEP"),
            ),
            gxe.ExpectColumnValuesToMatchRegex(
                column="geolocation_state",
                regex=STATE_PATTERN,
                **critical("Brazilian states are two upper-case letters"),
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="geolocation_lat", min_value=-90, max_value=90, **critical("latitude in degrees")
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="geolocation_lng", min_value=-180, max_value=180, **critical("longitude in degrees")
            ),
        ],
    )


def suite() -> list[TableSuite]:
    """Return the expectations of every raw table, in load order."""
    return [
        shop_customers(),
        shop_addresses(),
        shop_products(),
        shop_orders(),
        shop_order_items(),
        shop_payments(),
        shop_reviews(),
        shop_events(),
        olist_customers(),
        olist_orders(),
        olist_order_items(),
        olist_order_payments(),
        olist_order_reviews(),
        olist_products(),
        olist_sellers(),
        olist_product_category_name_translation(),
        olist_geolocation(),
    ]
