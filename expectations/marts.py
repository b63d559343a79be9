"""Suite ``marts``: the candidate marts dbt built, checked before they are published.

Every table here is read from the candidate schema (``marts_build`` unless the runner is
given another). A ``critical`` failure keeps yesterday's marts in place; a ``warning`` is
recorded and shown in Data Docs. The SQL of each ``UnexpectedRowsExpectation`` returns only
pseudonymous keys, column names and counts, never a value from a customer column, because
the runner stores the first rows of a failing query as evidence.
"""

from __future__ import annotations

import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column

from customer_warehouse.quality.spec import GateConfig, TableSuite, critical, warning

SUITE_NAME = "marts"

# Marts are built by dbt, whose column types follow the SQL; only the names are a contract.
DIM_CUSTOMERS = [
    "customer_key", "person_key", "source", "person_ref_key", "country_code", "state", "city", "gender",
    "age_band", "is_birth_date_plausible", "signup_channel", "signup_month", "first_order_at",
    "last_order_at", "order_count", "has_valid_email", "has_valid_phone", "marketing_opt_in", "is_deleted",
    "authenticity_score", "authenticity_band", "authenticity_reasons", "updated_at",
]  # fmt: skip
DIM_PERSONS = [
    "person_key", "is_resolved", "account_count", "sources", "country_code", "state", "city", "gender",
    "age_band", "first_signup_month", "first_signup_channel", "first_order_at", "last_order_at",
    "order_count", "lifetime_payments", "marketing_opt_in", "has_live_account", "authenticity_score",
    "authenticity_band", "authenticity_reasons",
]  # fmt: skip
BDG_CUSTOMER_PERSON = [
    "customer_key", "person_key", "source", "link_rule", "link_probability", "is_resolved", "is_excluded",
]  # fmt: skip
CUSTOMER_REVIEW = [
    "customer_key", "person_key", "source", "country_code", "state", "signup_channel", "signup_month",
    "authenticity_score", "authenticity_band", "reason_codes", "reasons", "review_decision", "is_deleted",
]  # fmt: skip
FCT_ORDERS = [
    "order_key", "source", "source_order_id", "customer_key", "person_key", "is_excluded_customer",
    "order_status", "ordered_at", "order_date", "currency", "item_count", "items_amount", "shipping_amount",
    "order_total", "payment_total", "is_cancelled",
]  # fmt: skip
FCT_ORDER_ITEMS = [
    "order_item_key", "order_key", "customer_key", "source", "product_key", "seller_key", "item_sequence",
    "quantity", "unit_price", "discount_amount", "line_amount", "freight_amount",
]  # fmt: skip
CUSTOMER_RFM = [
    "person_key", "source", "as_of_date", "first_order_date", "last_order_date", "recency_days",
    "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_cell",
]  # fmt: skip
CUSTOMER_SEGMENTS = ["person_key", "source", "segment", "r_score", "f_score", "m_score", "as_of_date"]

SOURCES = ["shop", "olist", "crm"]

# Raw tables whose newest _loaded_at bounds how fresh the marts can be.
FEEDING_RAW_TABLES = [
    "raw.shop_customers", "raw.shop_orders", "raw.shop_order_items", "raw.shop_payments",
    "raw.olist_customers", "raw.olist_orders", "raw.olist_order_items", "raw.olist_order_payments",
]  # fmt: skip

# Predicates for a value that looks like an email address or a phone number (PostgreSQL
# regular expressions). Keys and source ids (columns
# ending in _key or _id) are digests or numbers, so only the email rule applies to them.
# Literal braces would need doubling because GX fills in {batch} with str.format.
_EMAIL = "(strpos({v}, '@') > 0 and {v} ~ '[^@[:space:]]+@[^@[:space:]]+[.][A-Za-z][A-Za-z]+')"
_PHONE = (
    "({v} ~ '^[+(]?[0-9][0-9 ().-]+[0-9]$'"
    " and {v} !~ '^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'"
    " and length(regexp_replace({v}, '[^0-9]', '', 'g')) between 9 and 15)"
)


def _looks_like_identifier(column: str) -> str:
    value = f't."{column}"'
    email = _EMAIL.format(v=value)
    if column.endswith(("_key", "_id")):
        return email
    return f"{email} or {_PHONE.format(v=value)}"


def identifier_checks(columns: list[str]) -> list[gxe.Expectation]:
    """Count, in one scan, the rows of each text column that look like an email or phone number.

    The runner passes every text column the table has, so a column added later is covered.
    The query returns one row (column name, matching rows) per offending column, never a value.
    """
    counts = ", ".join(f'count(*) filter (where {_looks_like_identifier(c)}) as "{c}"' for c in columns)
    pairs = ", ".join(f"('{c}', \"{c}\")" for c in columns)
    query = (
        f"select v.column_name, v.matching_rows from (select {counts} from {{batch}} as t) as c"
        f" cross join lateral (values {pairs}) as v(column_name, matching_rows) where v.matching_rows > 0"
    )
    check = gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=query,
        description="no column contains a value that looks like an email address or a phone number",
        **critical("marts carry only pseudonymous keys; identifiers stay in the PII vault"),
    )
    return [check]


def _key_checks(column: str) -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToNotBeNull(column=column, **critical(f"{column} is the grain of the table")),
        gxe.ExpectColumnValuesToBeUnique(column=column, **critical(f"one row per {column}")),
    ]


def _unique_per_source(column: str) -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToNotBeNull(column=column, **critical(f"{column} is part of the grain")),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=[column, "source"], **critical(f"one row per {column} and source")
        ),
    ]


def _references(column: str, schema: str, parent: str, parent_column: str, key: str) -> gxe.Expectation:
    # GX leaves aliasing to the query only when it contains a join, hence the anti-join form.
    query = (
        f"select child.{key} from {{batch}} as child "
        f"left join {schema}.{parent} as parent on parent.{parent_column} = child.{column} "
        f"where child.{column} is not null and parent.{parent_column} is null"
    )
    return gxe.UnexpectedRowsExpectation(
        unexpected_rows_query=query,
        description=f"every {column} exists in {schema}.{parent}",
        **critical(f"a {column} missing from {parent} drops rows from every join on it"),
    )


def _at_least(column: str, minimum: float, why: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=minimum, **critical(why))


def _scores() -> list[gxe.Expectation]:
    return [
        gxe.ExpectColumnValuesToBeBetween(
            column=column, min_value=1, max_value=5, **critical("RFM scores are quintiles 1 to 5")
        )
        for column in ("r_score", "f_score", "m_score")
    ]


def _source() -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeInSet(
        column="source", value_set=SOURCES, **critical("known sources only")
    )


def dim_customers(schema: str, config: GateConfig) -> TableSuite:
    return TableSuite(
        table=f"{schema}.dim_customers",
        columns=dict.fromkeys(DIM_CUSTOMERS),
        sample_unexpected_values=False,
        text_column_checks=identifier_checks,
        row_checks=[
            *_key_checks("customer_key"),
            _source(),
            *shop_customer_authenticity(config),
        ],
    )


def shop_customer_authenticity(config: GateConfig) -> list[gxe.Expectation]:
    """Shares of live shop accounts with usable contact details: low shares point to fake sign-ups."""
    live_shop_account = (Column("source") == "shop") & (Column("is_deleted") == False)  # noqa: E712
    checks = [
        ("has_valid_email", config.min_valid_email_share, "a falling share of valid emails"),
        ("has_valid_phone", config.min_valid_phone_share, "a falling share of valid phones"),
        (
            "is_birth_date_plausible",
            config.min_plausible_birth_date_share,
            "a falling share of plausible birth dates",
        ),
    ]
    return [
        gxe.ExpectColumnValuesToBeInSet(
            column=column,
            value_set=[True],
            mostly=share,
            row_condition=live_shop_account,
            **warning(f"{signal} points to bot or fake sign-ups (threshold {share:.0%})"),
        )
        for column, share, signal in checks
    ]


def fct_orders(schema: str) -> TableSuite:
    money = ["items_amount", "shipping_amount", "order_total", "payment_total"]
    return TableSuite(
        table=f"{schema}.fct_orders",
        columns=dict.fromkeys(FCT_ORDERS),
        sample_unexpected_values=False,
        text_column_checks=identifier_checks,
        row_checks=[
            *_key_checks("order_key"),
            _source(),
            gxe.ExpectColumnValuesToNotBeNull(
                column="customer_key", **critical("every order has the account that placed it")
            ),
            gxe.ExpectColumnValuesToNotBeNull(column="person_key", **critical("RFM sums orders per person")),
            _references("customer_key", schema, "bdg_customer_person", "customer_key", key="order_key"),
            *[_at_least(column, 0, "money amounts are never negative") for column in money],
            _at_least("item_count", 0, "an order counts its lines"),
        ],
    )


def fct_order_items(schema: str) -> TableSuite:
    money = ["unit_price", "discount_amount", "line_amount", "freight_amount"]
    return TableSuite(
        table=f"{schema}.fct_order_items",
        columns=dict.fromkeys(FCT_ORDER_ITEMS),
        sample_unexpected_values=False,
        text_column_checks=identifier_checks,
        row_checks=[
            *_key_checks("order_item_key"),
            _references("order_key", schema, "fct_orders", "order_key", key="order_item_key"),
            _references("customer_key", schema, "bdg_customer_person", "customer_key", key="order_item_key"),
            _at_least("quantity", 1, "a line sells at least one unit"),
            *[_at_least(column, 0, "money amounts are never negative") for column in money],
        ],
    )


def customer_rfm(schema: str) -> TableSuite:
    return TableSuite(
        table=f"{schema}.customer_rfm",
        columns=dict.fromkeys(CUSTOMER_RFM),
        sample_unexpected_values=False,
        text_column_checks=identifier_checks,
        row_checks=[
            *_unique_per_source("person_key"),
            _references("person_key", schema, "dim_persons", "person_key", key="person_key"),
            _at_least("recency_days", 0, "recency counts days since the last order"),
            _at_least("frequency", 1, "every person in RFM has at least one order"),
            _at_least("monetary", 0, "money amounts are never negative"),
            *_scores(),
        ],
    )


def customer_segments(schema: str) -> TableSuite:
    return TableSuite(
        table=f"{schema}.customer_segments",
        columns=dict.fromkeys(CUSTOMER_SEGMENTS),
        sample_unexpected_values=False,
        text_column_checks=identifier_checks,
        row_checks=[
            *_unique_per_source("person_key"),
            _references("person_key", schema, "customer_rfm", "person_key", key="person_key"),
            gxe.ExpectColumnValuesToNotBeNull(
                column="segment", **critical("every scored person has a segment")
            ),
            *_scores(),
        ],
    )


def dim_persons(schema: str) -> TableSuite:
    return TableSuite(
        table=f"{schema}.dim_persons",
        columns=dict.fromkeys(DIM_PERSONS),
        sample_unexpected_values=False,
        text_column_checks=identifier_checks,
        row_checks=[
            *_key_checks("person_key"),
            _at_least("account_count", 1, "a person owns at least one account"),
            _at_least("lifetime_payments", 0, "money amounts are never negative"),
            gxe.ExpectColumnValuesToBeBetween(
                column="authenticity_score",
                min_value=0,
                max_value=100,
                **critical("authenticity scores run from 0 to 100"),
            ),
        ],
    )


def bdg_customer_person(schema: str) -> TableSuite:
    return TableSuite(
        table=f"{schema}.bdg_customer_person",
        columns=dict.fromkeys(BDG_CUSTOMER_PERSON),
        sample_unexpected_values=False,
        text_column_checks=identifier_checks,
        row_checks=[
            *_key_checks("customer_key"),
            gxe.ExpectColumnValuesToNotBeNull(
                column="person_key", **critical("every account belongs to a person, if only itself")
            ),
        ],
    )


def customer_review(schema: str) -> TableSuite:
    return TableSuite(
        table=f"{schema}.customer_review",
        columns=dict.fromkeys(CUSTOMER_REVIEW),
        sample_unexpected_values=False,
        text_column_checks=identifier_checks,
        row_checks=[
            *_key_checks("customer_key"),
            _references("customer_key", schema, "bdg_customer_person", "customer_key", key="customer_key"),
            gxe.ExpectColumnValuesToNotMatchRegex(
                column="reasons",
                regex="^$",
                row_condition=Column("review_decision").is_null(),
                **critical(
                    "an account kept out of the marts without a reviewer's decision needs its reasons"
                ),
            ),
        ],
    )


def raw_freshness(config: GateConfig) -> TableSuite:
    """Age of the newest raw row feeding the marts: old data means a stalled extract."""
    newest = " union all ".join(
        f"select max(_loaded_at) as loaded_at from {table}" for table in FEEDING_RAW_TABLES
    )
    hours = config.freshness_hours
    return TableSuite(
        table="raw.*",
        name="raw_freshness",
        batch_query=f"select max(loaded_at) as newest_loaded_at from ({newest}) as newest_per_table",
        row_checks=[
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    f"select newest_loaded_at from {{batch}} "
                    f"where newest_loaded_at is null or newest_loaded_at < now() - interval '{hours} hours'"
                ),
                description=f"the newest raw row feeding the marts is at most {hours} hours old",
                **warning("marts built from stale raw data look healthy but miss recent orders"),
            )
        ],
    )


def suite(schema: str = "marts_build", config: GateConfig | None = None) -> list[TableSuite]:
    """Return the expectations of every candidate mart in ``schema``."""
    config = config or GateConfig.from_env()
    return [
        dim_customers(schema, config),
        dim_persons(schema),
        bdg_customer_person(schema),
        customer_review(schema),
        fct_orders(schema),
        fct_order_items(schema),
        customer_rfm(schema),
        customer_segments(schema),
        raw_freshness(config),
    ]
