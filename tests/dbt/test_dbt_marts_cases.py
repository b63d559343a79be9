"""dbt build on hand-made raw rows: staging standardization, deduplication and marts.

One module-scoped build serves every test here; each test reads the built schemas.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.mask import IDENTIFIER_FIELDS
from customer_warehouse.warehouse import bootstrap
from tests.dbt.dbt_support import (
    DbtRun,
    connect,
    dbt_failure_message,
    fetch_all,
    fetch_one_value,
    load_raw_cases,
    pseudonymize_in_sql,
    run_dbt,
)
from tests.dbt.raw_cases import (
    OLIST_ORDERED_AT_UTC,
    OLIST_PAYMENT_TOTAL,
    SHOP_ADDRESSES,
    SHOP_CUSTOMER_BIRTH_STATUS,
    SHOP_CUSTOMER_EXPECTED,
    SHOP_CUSTOMERS,
    SHOP_EVENTS,
)
from tests.support import make_settings

MARTS = (
    "dim_customers",
    "dim_persons",
    "bdg_customer_person",
    "customer_review",
    "fct_orders",
    "fct_order_items",
    "customer_rfm",
    "customer_segments",
)


@pytest.fixture(scope="module")
def built(pg_database, module_pseudonym_key, tmp_path_factory):
    """Bootstrap a warehouse, land the hand-made rows in raw as the loaders would, run dbt build once."""
    url = pg_database("dbt_cases")
    bootstrap(url).dispose()
    conn = connect(url)
    load_raw_cases(conn, Pseudonymizer(module_pseudonym_key))
    conn.close()

    home = tmp_path_factory.mktemp("dbt_cases")
    settings = make_settings(home, url)
    run = DbtRun(home / "target", home / "logs")
    result = run_dbt(settings, ["build"], run)
    assert result.returncode == 0, dbt_failure_message(result)
    conn = connect(url, module_pseudonym_key)
    yield {"url": url, "conn": conn, "settings": settings, "run": run}
    conn.close()


@pytest.fixture(scope="module")
def conn(built):
    return built["conn"]


def _age_band(birth: date, today: date) -> str:
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    bands = [(18, "under_18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64")]
    return next((band for limit, band in bands if age < limit), "65_plus")


@pytest.mark.parametrize("customer_id", sorted(SHOP_CUSTOMER_EXPECTED))
def test_stg_customers_valid_phone(conn, customer_id):
    valid = fetch_one_value(
        conn, "select has_valid_phone from staging.stg_shop__customers where customer_id = %s", (customer_id,)
    )
    assert valid == (SHOP_CUSTOMER_EXPECTED[customer_id][0] is not None)


@pytest.mark.parametrize("customer_id", sorted(SHOP_CUSTOMER_EXPECTED))
def test_stg_customers_birth_year(conn, customer_id):
    row = fetch_all(
        conn,
        "select birth_year, birth_date_status from staging.stg_shop__customers where customer_id = %s",
        (customer_id,),
    )
    expected = SHOP_CUSTOMER_EXPECTED[customer_id][1]
    assert row == [(int(expected[:4]) if expected else None, SHOP_CUSTOMER_BIRTH_STATUS[customer_id])]


@pytest.mark.parametrize("customer_id", sorted(SHOP_CUSTOMER_EXPECTED))
def test_stg_customers_gender(conn, customer_id):
    gender = fetch_one_value(
        conn, "select gender from staging.stg_shop__customers where customer_id = %s", (customer_id,)
    )
    assert gender == SHOP_CUSTOMER_EXPECTED[customer_id][2]


def test_stg_customers_key_matches_sql(conn):
    key = fetch_one_value(conn, "select customer_key from staging.stg_shop__customers where customer_id = 3")
    assert key == pseudonymize_in_sql(conn, "shop:3")


def test_stg_customers_latest_version(conn):
    domain = fetch_one_value(
        conn, "select email_domain from staging.stg_shop__customers where customer_id = 1"
    )
    assert domain == "example.com"


def test_stg_customers_latest_load_on_tie(conn):
    domain = fetch_one_value(
        conn, "select email_domain from staging.stg_shop__customers where customer_id = 10"
    )
    assert domain == "second.example.com"


def test_stg_customers_one_row_per_id(conn):
    count = fetch_one_value(conn, "select count(*) from staging.stg_shop__customers")
    assert count == len({row["customer_id"] for row in SHOP_CUSTOMERS})


def test_stg_payments_statuses_lowercased(conn):
    statuses = {
        row[0] for row in fetch_all(conn, "select distinct payment_status from staging.stg_shop__payments")
    }
    assert statuses == {"captured", "refunded", "failed", "pending"}


def test_stg_events_deduplicated(conn):
    count = fetch_one_value(conn, "select count(*) from staging.stg_shop__events")
    assert count == len({row["event_id"] for row in SHOP_EVENTS})


def test_stg_addresses_postcode_keeps_zero(conn):
    postcode = fetch_one_value(conn, "select postcode from staging.stg_shop__addresses where address_id = 3")
    assert postcode == "02134"


def test_stg_olist_customer_zip_padded(conn):
    rows = dict(fetch_all(conn, "select customer_id, zip_code_prefix from staging.stg_olist__customers"))
    assert rows == {"oc-1": "08775", "oc-2": "01001", "oc-3": "12345", "oc-4": "99999"}


def test_stg_olist_seller_zip_padded(conn):
    zip_code = fetch_one_value(
        conn, "select zip_code_prefix from staging.stg_olist__sellers where seller_id = 'os-1'"
    )
    assert zip_code == "01234"


@pytest.mark.parametrize("order_id", sorted(OLIST_ORDERED_AT_UTC))
def test_stg_olist_orders_utc_across_dst(conn, order_id):
    purchased = fetch_one_value(
        conn, "select purchased_at from staging.stg_olist__orders where order_id = %s", (order_id,)
    )
    assert purchased == OLIST_ORDERED_AT_UTC[order_id]


def test_stg_olist_orders_later_load_wins(conn):
    status = fetch_one_value(
        conn, "select order_status from staging.stg_olist__orders where order_id = 'oo-3'"
    )
    assert status == "delivered"


def test_stg_olist_reviews_shared_review_id(conn):
    rows = fetch_all(
        conn, "select order_id from staging.stg_olist__order_reviews where review_id = 'rv-1' order by 1"
    )
    assert rows == [("oo-1",), ("oo-2",)]


def test_stg_olist_products_translation(conn):
    rows = dict(fetch_all(conn, "select product_id, category_name_english from staging.stg_olist__products"))
    assert rows == {"op-1": "health_beauty", "op-2": None}


def test_stg_olist_geolocation_exact_duplicates(conn):
    count = fetch_one_value(conn, "select count(*) from staging.stg_olist__geolocation")
    assert count == 2


def test_schemas_have_no_prefix(conn):
    schemas = {
        row[0]
        for row in fetch_all(
            conn,
            "select distinct table_schema from information_schema.tables"
            " where table_schema not in ('pg_catalog', 'information_schema', 'raw', 'audit', 'public',"
            " 'identity', 'authenticity')",
        )
    }
    assert schemas == {"staging", "intermediate", "marts_build"}


def test_nothing_written_to_marts(conn):
    count = fetch_one_value(
        conn, "select count(*) from information_schema.schemata where schema_name = 'marts'"
    )
    assert count == 0


def test_dim_customers_one_row_per_account(conn):
    rows = dict(fetch_all(conn, "select source, count(*) from marts_build.dim_customers group by source"))
    assert rows == {"shop": 10, "olist": 4}


def test_dim_customers_key_is_hmac(conn):
    key = pseudonymize_in_sql(conn, "shop:1")
    matches = fetch_one_value(
        conn, "select count(*) from marts_build.dim_customers where customer_key = %s", (key,)
    )
    assert matches == 1


def test_dim_customers_person_ref_shared(conn):
    first = pseudonymize_in_sql(conn, "olist:person-1")
    rows = fetch_all(conn, "select person_ref_key from marts_build.dim_customers where source = 'olist'")
    assert len(rows) == 4
    assert [row[0] for row in rows].count(first) == 2
    assert len({row[0] for row in rows}) == 3


def test_dim_customers_soft_delete_flag(conn):
    deleted = fetch_one_value(conn, "select count(*) from marts_build.dim_customers where is_deleted")
    assert deleted == 1


def test_dim_customers_birth_plausibility(conn):
    rows = fetch_all(
        conn,
        "select is_birth_date_plausible, count(*) from marts_build.dim_customers"
        " where source = 'shop' group by 1 order by 1 nulls last",
    )
    # Customers 1 to 5 plausible; 8 (future) and 9 (1890) implausible; 6, 7, 10 unknown.
    assert rows == [(False, 2), (True, 5), (None, 3)]


def test_dim_customers_age_band(conn):
    today = fetch_one_value(conn, "select current_date")
    bands = {
        row[0]
        for row in fetch_all(
            conn, "select age_band from marts_build.dim_customers where is_birth_date_plausible"
        )
    }
    assert bands == {_age_band(date(1990, 4, 17), today)}


def test_dim_customers_implausible_band_unknown(conn):
    bands = {
        row[0]
        for row in fetch_all(
            conn, "select age_band from marts_build.dim_customers where not is_birth_date_plausible"
        )
    }
    assert bands == {"unknown"}


def test_dim_customers_valid_email_flags(conn):
    rows = fetch_all(
        conn,
        "select has_valid_email, count(*) from marts_build.dim_customers"
        " where source = 'shop' group by 1 order by 1",
    )
    assert rows == [(False, 1), (True, 9)]


def test_dim_customers_valid_phone_flags(conn):
    rows = fetch_all(
        conn,
        "select has_valid_phone, count(*) from marts_build.dim_customers"
        " where source = 'shop' group by 1 order by 1",
    )
    assert rows == [(False, 1), (True, 9)]


def test_dim_customers_olist_flags_null(conn):
    count = fetch_one_value(
        conn,
        "select count(*) from marts_build.dim_customers where source = 'olist'"
        " and (has_valid_email is not null or has_valid_phone is not null)",
    )
    assert count == 0


def test_dim_customers_default_address_city(conn):
    key = pseudonymize_in_sql(conn, "shop:4")
    cities = fetch_all(conn, "select city from marts_build.dim_customers where customer_key = %s", (key,))
    assert cities == [("Boston",)]


def test_dim_customers_olist_signup_month(conn):
    key = pseudonymize_in_sql(conn, "olist:oc-1")
    month = fetch_one_value(
        conn, "select signup_month from marts_build.dim_customers where customer_key = %s", (key,)
    )
    assert month == date(2017, 10, 1)


def _order(conn, source_order_id: str) -> dict:
    with conn.cursor() as cursor:
        cursor.execute("select * from marts_build.fct_orders where source_order_id = %s", (source_order_id,))
        columns = [column.name for column in cursor.description]
        rows = cursor.fetchall()
    assert len(rows) == 1, f"expected one fct_orders row for order {source_order_id}, got {len(rows)}"
    return dict(zip(columns, rows[0], strict=True))


def test_fct_orders_excludes_soft_deleted(conn):
    ids = {
        row[0]
        for row in fetch_all(conn, "select source_order_id from marts_build.fct_orders where source = 'shop'")
    }
    assert ids == {"1", "2", "4", "5"}


def test_fct_orders_latest_status(conn):
    assert _order(conn, "1")["order_status"] == "completed"


def test_fct_orders_items_amount(conn):
    assert _order(conn, "1")["items_amount"] == Decimal("24.50")


def test_fct_orders_order_total(conn):
    assert _order(conn, "1")["order_total"] == Decimal("29.50")


def test_fct_orders_without_items_kept(conn):
    order = _order(conn, "2")
    assert order["item_count"] == 0
    assert order["items_amount"] == Decimal("0.00")
    assert order["order_total"] == Decimal("4.99")


def test_fct_orders_split_payment_net(conn):
    assert _order(conn, "5")["payment_total"] == Decimal("45.00")


def test_fct_orders_refunded_cancelled(conn):
    order = _order(conn, "4")
    assert order["is_cancelled"] is True
    assert order["payment_total"] == Decimal("0.00")


def test_fct_orders_currency_uppercase(conn):
    assert _order(conn, "1")["currency"] == "USD"


def test_fct_orders_olist_freight_as_shipping(conn):
    order = _order(conn, "oo-1")
    assert order["shipping_amount"] == Decimal("20.02")
    assert order["order_total"] == Decimal("170.17")


def test_fct_orders_olist_order_date_utc(conn):
    assert _order(conn, "oo-2")["order_date"] == date(2018, 2, 18)


def test_fct_orders_olist_payment_total(conn):
    total = fetch_one_value(
        conn, "select sum(payment_total) from marts_build.fct_orders where source = 'olist'"
    )
    assert total == Decimal(OLIST_PAYMENT_TOTAL)


def test_fct_orders_olist_all_orders(conn):
    count = fetch_one_value(conn, "select count(*) from marts_build.fct_orders where source = 'olist'")
    assert count == 5


def test_fct_order_items_lines(conn):
    rows = dict(fetch_all(conn, "select source, count(*) from marts_build.fct_order_items group by source"))
    assert rows == {"shop": 4, "olist": 4}


def test_fct_order_items_seller_key_only_olist(conn):
    rows = dict(
        fetch_all(conn, "select source, count(seller_key) from marts_build.fct_order_items group by source")
    )
    assert rows == {"shop": 0, "olist": 4}


def test_rfm_scores_olist_customers(conn):
    keys = {
        pseudonymize_in_sql(conn, f"olist:{customer_id}"): customer_id
        for customer_id in ("oc-1", "oc-2", "oc-3")
    }
    # No identity run here, so every account is its own person under its account key.
    rows = fetch_all(conn, "select person_key, rfm_cell from marts_build.customer_rfm where source = 'olist'")
    cells = {keys.get(key, key): cell for key, cell in rows}
    # oc-1: oldest, 1 order, 170.17; oc-2: middle, 1 order, 19.99; oc-3: newest, 2 orders, 35.55.
    assert cells == {"oc-1": "115", "oc-2": "311", "oc-3": "553"}


def test_rfm_excludes_cancelled_only(conn):
    rows = dict(fetch_all(conn, "select source, count(*) from marts_build.customer_rfm group by source"))
    assert rows == {"shop": 2, "olist": 3}


def test_rfm_as_of_per_source(conn):
    rows = dict(
        fetch_all(conn, "select source, min(as_of_date) from marts_build.customer_rfm group by source")
    )
    assert rows == {"shop": date(2024, 4, 1), "olist": date(2018, 7, 1)}


def test_rfm_ties_share_score(conn):
    scores = fetch_all(
        conn,
        "select count(distinct f_score) from marts_build.customer_rfm"
        " where source = 'olist' and frequency = 1",
    )
    assert scores == [(1,)]


def test_segments_named(conn):
    rows = fetch_all(
        conn, "select segment from marts_build.customer_segments where source = 'olist' order by 1"
    )
    assert rows == [("about_to_sleep",), ("lost",), ("loyal",)]


def test_segments_cover_rfm(conn):
    missing = fetch_one_value(
        conn,
        "select count(*) from marts_build.customer_rfm r left join marts_build.customer_segments s"
        " using (person_key, source) where s.segment is null",
    )
    assert missing == 0


def _source_identifiers() -> list[str]:
    """Return every identifier value the hand-made source rows carry, as written and normalized."""
    values = []
    for table, fields in (
        (SHOP_CUSTOMERS, IDENTIFIER_FIELDS),
        (SHOP_ADDRESSES, IDENTIFIER_FIELDS),
        (SHOP_EVENTS, IDENTIFIER_FIELDS),
    ):
        for row in table:
            values += [str(row[f]) for f in fields if row.get(f)]
    return sorted({*values, *(v.strip().lower() for v in values)})


@pytest.mark.parametrize("mart", MARTS)
def test_marts_hold_no_raw_identifier(conn, mart):
    identifiers = _source_identifiers()
    columns = [
        row[0]
        for row in fetch_all(
            conn,
            "select column_name from information_schema.columns where table_schema = 'marts_build'"
            " and table_name = %s and data_type = 'text'",
            (mart,),
        )
    ]
    leaks = [
        column
        for column in columns
        if fetch_one_value(
            conn, f"select count(*) from marts_build.{mart} where {column} = any(%s)", (identifiers,)
        )
    ]
    assert leaks == []


def test_rfm_as_of_var_override(built, conn):
    # Rebuilds customer_rfm, so it runs last in this module.
    result = run_dbt(
        built["settings"],
        ["run", "--select", "customer_rfm", "--vars", "{rfm_as_of: '2019-01-01'}"],
        built["run"],
    )
    assert result.returncode == 0, dbt_failure_message(result)
    dates = fetch_all(conn, "select distinct as_of_date from marts_build.customer_rfm")
    assert dates == [(date(2019, 1, 1),)]
