"""dbt build on the real Olist slice: every customer and order reaches the marts and the
revenue reconciles with the payment file to the cent."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from customer_warehouse.warehouse import bootstrap
from tests.dbt.dbt_support import DbtRun, connect, dbt_failure_message, fetch_all, fetch_one_value, run_dbt
from tests.dbt.olist_loader import OLIST_FILES, load_olist_dir
from tests.support import make_settings


@pytest.fixture(scope="module")
def olist_built(pg_database, module_pseudonym_key, olist_dir, tmp_path_factory):
    url = pg_database("dbt_olist")
    bootstrap(url).dispose()
    conn = connect(url)
    load_olist_dir(conn, olist_dir)
    conn.close()

    home = tmp_path_factory.mktemp("dbt_olist")
    result = run_dbt(make_settings(home, url), ["build"], DbtRun(home / "target", home / "logs"))
    assert result.returncode == 0, dbt_failure_message(result)
    conn = connect(url, module_pseudonym_key)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def olist_files(olist_dir) -> dict[str, pd.DataFrame]:
    return {
        table: pd.read_csv(olist_dir / name, dtype=str, keep_default_na=False)
        for table, name in OLIST_FILES.items()
        if table in ("olist_customers", "olist_orders", "olist_order_payments")
    }


def test_olist_every_customer_in_dim(olist_built):
    missing = fetch_one_value(
        olist_built,
        "select count(*) from raw.olist_customers r where not exists ("
        " select 1 from marts_build.dim_customers d where d.source = 'olist' and d.customer_key ="
        " encode(hmac(convert_to('olist:' || r.customer_id, 'UTF8'),"
        " convert_to(current_setting('cw.pseudonym_key'), 'UTF8'), 'sha256'), 'hex'))",
    )
    assert missing == 0


def test_olist_customer_count(olist_built, olist_files):
    count = fetch_one_value(
        olist_built, "select count(*) from marts_build.dim_customers where source = 'olist'"
    )
    assert count == olist_files["olist_customers"]["customer_id"].nunique()


def test_olist_person_refs(olist_built, olist_files):
    count = fetch_one_value(
        olist_built,
        "select count(distinct person_ref_key) from marts_build.dim_customers where source = 'olist'",
    )
    assert count == olist_files["olist_customers"]["customer_unique_id"].nunique()


def test_olist_order_count(olist_built, olist_files):
    count = fetch_one_value(olist_built, "select count(*) from marts_build.fct_orders where source = 'olist'")
    assert count == olist_files["olist_orders"]["order_id"].nunique()


def test_olist_order_counts_per_customer(olist_built):
    total = fetch_one_value(
        olist_built, "select sum(order_count) from marts_build.dim_customers where source = 'olist'"
    )
    orders = fetch_one_value(
        olist_built, "select count(*) from marts_build.fct_orders where source = 'olist'"
    )
    assert total == orders


def test_olist_payment_total_to_the_cent(olist_built, olist_files):
    expected = sum(Decimal(value) for value in olist_files["olist_order_payments"]["payment_value"])
    total = fetch_one_value(
        olist_built, "select sum(payment_total) from marts_build.fct_orders where source = 'olist'"
    )
    assert total == expected


def test_olist_item_lines(olist_built, olist_dir):
    lines = len(pd.read_csv(olist_dir / OLIST_FILES["olist_order_items"], dtype=str))
    count = fetch_one_value(
        olist_built, "select count(*) from marts_build.fct_order_items where source = 'olist'"
    )
    assert count == lines


def test_olist_zips_five_digits(olist_built):
    bad = fetch_one_value(
        olist_built, "select count(*) from staging.stg_olist__customers where zip_code_prefix !~ '^[0-9]{5}$'"
    )
    assert bad == 0


def test_olist_rfm_scores_buyers(olist_built):
    buyers = fetch_one_value(
        olist_built,
        "select count(distinct customer_key) from marts_build.fct_orders"
        " where source = 'olist' and not is_cancelled",
    )
    scored = fetch_one_value(
        olist_built, "select count(*) from marts_build.customer_rfm where source = 'olist'"
    )
    assert scored == buyers


def test_olist_segments_cover_scored(olist_built):
    unsegmented = fetch_one_value(
        olist_built,
        "select count(*) from marts_build.customer_rfm r left join marts_build.customer_segments s"
        " using (person_key, source) where s.segment is null",
    )
    assert unsegmented == 0


def test_olist_scores_use_range(olist_built):
    scores = fetch_all(
        olist_built, "select distinct r_score from marts_build.customer_rfm where source = 'olist' order by 1"
    )
    assert scores == [(1,), (2,), (3,), (4,), (5,)]
