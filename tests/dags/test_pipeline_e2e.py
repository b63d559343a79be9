"""The whole customer_warehouse DAG, run with dag.test() on a simulated shop and real Olist exports.

One module-scoped run feeds every check: the simulated platform (1,000 customers) and the
real 15,000-order Olist slice go through extraction, loading, both quality gates, dbt and
publishing. A second run of the same day must neither lose nor double anything.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.support import run_dag

pytestmark = pytest.mark.slow

# Task ids that dag.test() marks successful without running: all but the dbt group and what follows it.
DBT_AND_AFTER = (
    r"(?!dbt_staging\.|resolve_identities$|score_authenticity$|validate_authenticity$|dbt_marts\."
    r"|validate_marts$|publish_marts$|refresh_dashboards$|report_run$).*"
)

OLIST_FILES = {
    "olist_customers_dataset.csv": "customers",
    "olist_orders_dataset.csv": "orders",
    "olist_order_items_dataset.csv": "order_items",
    "olist_order_payments_dataset.csv": "order_payments",
}


def _csv_rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _key(secret: str, source: str, source_id: str) -> str:
    return hmac.new(secret.encode(), f"{source}:{source_id}".encode(), hashlib.sha256).hexdigest()


@pytest.fixture(scope="module")
def pipeline(pipeline_run):
    return pipeline_run


def _scalar(eng, sql: str, **params):
    with eng.connect() as conn:
        return conn.scalar(sa.text(sql), params)


def test_every_dag_task_succeeded(pipeline):
    states = pipeline["first"]["report"]["tasks"]
    assert states, "the run reported no task"
    assert {task: state for task, state in states.items() if state != "success"} == {}


def test_every_olist_customer_reaches_dim_customers(pipeline):
    # An account authenticity scoring excludes is listed in customer_review instead.
    ids = {row["customer_id"] for row in _csv_rows(pipeline["olist_dir"] / "olist_customers_dataset.csv")}
    expected = {_key(pipeline["key"], "olist", i) for i in ids}
    with pipeline["engine"].connect() as conn:
        keys = set(
            conn.scalars(
                sa.text(
                    "select customer_key from marts.dim_customers where source = 'olist'"
                    " union all select customer_key from marts.customer_review where source = 'olist'"
                )
            )
        )
        reviewed = conn.scalar(sa.text("select count(*) from marts.customer_review where source = 'olist'"))
    assert len(expected) == 15000
    assert expected - keys == set()
    assert keys - expected == set()
    assert reviewed < 150


@pytest.mark.parametrize("file_name, entity", OLIST_FILES.items())
def test_olist_rows_reconcile_file_to_raw(pipeline, file_name, entity):
    records = len(_csv_rows(pipeline["olist_dir"] / file_name))
    loaded = _scalar(pipeline["engine"], f"select count(*) from raw.olist_{entity}")
    assert loaded == records


def test_olist_orders_reconcile_raw_to_marts(pipeline):
    eng = pipeline["engine"]
    raw = _scalar(eng, "select count(distinct order_id) from raw.olist_orders")
    staged = _scalar(eng, "select count(*) from staging.stg_olist__orders")
    marts = _scalar(eng, "select count(*) from marts.fct_orders where source = 'olist'")
    assert raw == 15000
    assert staged == raw
    assert marts == raw


def test_olist_items_reconcile_raw_to_marts(pipeline):
    eng = pipeline["engine"]
    raw = _scalar(eng, "select count(*) from raw.olist_order_items")
    marts = _scalar(eng, "select count(*) from marts.fct_order_items where source = 'olist'")
    assert marts == raw


def test_olist_revenue_matches_files_to_the_cent(pipeline):
    payments = _csv_rows(pipeline["olist_dir"] / "olist_order_payments_dataset.csv")
    expected = sum((Decimal(row["payment_value"]) for row in payments), Decimal("0"))
    actual = _scalar(
        pipeline["engine"], "select sum(payment_total) from marts.fct_orders where source = 'olist'"
    )
    assert Decimal(actual).quantize(Decimal("0.01")) == expected.quantize(Decimal("0.01"))


def test_shop_customers_reach_dim_customers(pipeline):
    shop = sa.create_engine(pipeline["cfg"].shop_url)
    accounts = _scalar(shop, "select count(*) from customers")
    shop.dispose()
    eng = pipeline["engine"]
    kept = _scalar(eng, "select count(*) from marts.dim_customers where source = 'shop'")
    reviewed = _scalar(eng, "select count(*) from marts.customer_review where source = 'shop'")
    assert kept + reviewed == accounts
    assert _scalar(eng, "select count(*) from marts.bdg_customer_person where source = 'shop'") == accounts


def test_fake_signups_kept_out(pipeline):
    # The simulator's truth lists its planted fake sign-ups; most must land in customer_review.
    truth = _csv_rows(pipeline["cfg"].truth_dir / "customers_truth.csv")
    fakes = {_key(pipeline["key"], "shop", row["customer_id"]) for row in truth if row["is_fake"] == "true"}
    with pipeline["engine"].connect() as conn:
        reviewed = set(conn.scalars(sa.text("select customer_key from marts.customer_review")))
    assert fakes
    assert len(fakes & reviewed) / len(fakes) >= 0.9
    assert len(fakes & reviewed) / len(reviewed) >= 0.9


def test_duplicate_accounts_resolved(pipeline):
    truth = _csv_rows(pipeline["cfg"].truth_dir / "customers_truth.csv")
    persons_in_truth = {row["person_id"] for row in truth if row["is_fake"] == "false"}
    with pipeline["engine"].connect() as conn:
        persons = conn.scalar(
            sa.text(
                "select count(distinct person_key) from marts.bdg_customer_person b"
                " where source = 'shop' and not is_excluded"
            )
        )
    # Live real accounts group into about as many persons as the truth has people.
    assert abs(persons - len(persons_in_truth)) / len(persons_in_truth) < 0.03


def test_shop_orders_reach_fct_orders(pipeline):
    shop = sa.create_engine(pipeline["cfg"].shop_url)
    live_orders = _scalar(shop, "select count(*) from orders where deleted_at is null")
    shop.dispose()
    assert (
        _scalar(pipeline["engine"], "select count(*) from marts.fct_orders where source = 'shop'")
        == live_orders
    )


def test_load_batches_reconcile(pipeline):
    with pipeline["engine"].connect() as conn:
        read, loaded, quarantined = conn.execute(
            sa.text("select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) from audit.load_batches")
        ).one()
    assert read > 0
    assert read == loaded + quarantined


def test_quality_results_recorded_for_every_suite(pipeline):
    with pipeline["engine"].connect() as conn:
        suites = set(conn.scalars(sa.text("select distinct suite_name from audit.quality_results")))
    assert suites == {"raw_inputs", "authenticity", "marts"}
    assert (pipeline["cfg"].data_docs_dir / "index.html").is_file()


def test_segments_cover_scored_customers(pipeline):
    eng = pipeline["engine"]
    scored = _scalar(eng, "select count(*) from marts.customer_rfm")
    segmented = _scalar(eng, "select count(*) from marts.customer_segments")
    assert scored > 0
    assert segmented == scored


def test_second_run_same_day_changes_nothing(pipeline):
    eng = pipeline["engine"]
    tables = (
        "marts.dim_customers",
        "marts.fct_orders",
        "marts.fct_order_items",
        "raw.olist_orders",
        "raw.shop_customers",
        "raw.shop_orders",
        "raw.shop_events",
    )
    before = {t: _scalar(eng, f"select count(*) from {t}") for t in tables}
    revenue_before = _scalar(eng, "select sum(payment_total) from marts.fct_orders")
    second = run_dag(pipeline["env"], "2026-12-04T14:00:00+00:00")
    assert second["returncode"] == 0, second["stderr"][-6000:]
    after = {t: _scalar(eng, f"select count(*) from {t}") for t in tables}
    assert after == before
    assert _scalar(eng, "select sum(payment_total) from marts.fct_orders") == revenue_before


def test_failed_dbt_test_fails_its_model_task(pipeline):
    """An order line whose order does not exist fails the relationships test of both models."""
    eng = pipeline["engine"]
    published_before = _scalar(eng, "select count(*) from audit.mart_publications")
    orphan = (
        "insert into raw.shop_order_items (order_item_id, order_id, line_number, product_id, quantity,"
        " unit_price, discount_amount, created_at, updated_at, _batch_id, _source, _source_object)"
        " select -1, -1, 1, min(product_id), 1, 1, 0, now(), now(), 'test', 'shop', 'order_items'"
        " from raw.shop_products"
    )
    with eng.begin() as conn:
        conn.execute(sa.text(orphan))
    try:
        # Only the dbt task group and what follows it run, so the loaders keep the orphan.
        run = run_dag(pipeline["env"], "2026-12-04T20:00:00+00:00", mark_success_pattern=DBT_AND_AFTER)
    finally:
        with eng.begin() as conn:
            conn.execute(sa.text("delete from raw.shop_order_items where order_item_id = -1"))
    tasks = run["report"]["tasks"]
    assert run["returncode"] == 1
    assert tasks["dbt_staging.dbt_producer_watcher"] == "failed"
    assert tasks["dbt_staging.stg_shop__order_items_model_build"] == "failed"
    assert tasks["dbt_staging.stg_shop__orders_model_build"] == "failed"
    assert tasks["dbt_staging.stg_shop__customers_model_build"] == "success"
    assert tasks["dbt_staging.int_order_items_conformed_model_build"] == "upstream_failed"
    assert tasks["resolve_identities"] == "upstream_failed"
    assert tasks["publish_marts"] == "upstream_failed"
    assert "relationships_stg_shop__order_items_order_id" in run["stdout"] + run["stderr"]
    assert _scalar(eng, "select count(*) from audit.mart_publications") == published_before


def test_critical_failure_keeps_published_marts(pipeline):
    """Runs last: an email address typed into a city field must stop publication."""
    eng = pipeline["engine"]
    published_before = _scalar(eng, "select count(*) from audit.mart_publications")
    with eng.connect() as conn:
        kept = set(
            conn.scalars(sa.text("select customer_key from marts.dim_customers where source = 'shop'"))
        )
    shop = sa.create_engine(pipeline["cfg"].shop_url)
    with shop.begin() as conn:
        ids = conn.scalars(sa.text("select customer_id from addresses order by customer_id")).all()
        # A customer the marts show, so the leaked value would reach them.
        target = next(i for i in ids if _key(pipeline["key"], "shop", str(i)) in kept)
        conn.execute(
            sa.text(
                "update addresses set city = 'leak.check@example.com', updated_at = now()"
                " where customer_id = :c"
            ),
            {"c": target},
        )
    shop.dispose()
    third = run_dag(pipeline["env"], "2026-12-05T02:00:00+00:00")
    assert third["returncode"] == 1
    assert third["report"]["tasks"]["validate_marts"] == "failed"
    assert third["report"]["tasks"]["publish_marts"] != "success"
    assert _scalar(eng, "select count(*) from marts.dim_customers where city like '%@%'") == 0
    assert _scalar(eng, "select count(*) from audit.mart_publications") == published_before
