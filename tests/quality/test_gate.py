"""The quality gate on a real PostgreSQL warehouse with real Great Expectations runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from customer_warehouse.config import REPO_ROOT
from customer_warehouse.quality import CriticalExpectationFailed, run_suite
from customer_warehouse.quality.__main__ import main
from tests.quality.conftest import execute, stored_results


def _failed(outcomes, data_asset, expectation_type, column=None):
    return [
        o
        for o in outcomes
        if not o.success
        and o.data_asset == data_asset
        and o.expectation_type == expectation_type
        and (column is None or o.column_name == column)
    ]


def test_raw_clean_passes(settings):
    outcome = run_suite(settings, "raw_inputs", "run-clean")
    assert outcome.critical_failures == []
    assert outcome.warnings == []
    assert outcome.evaluated > 100


def test_marts_clean_passes(settings):
    outcome = run_suite(settings, "marts", "run-clean")
    assert outcome.critical_failures == []
    assert outcome.warnings == []


def test_duplicate_key_raises(settings, warehouse):
    execute(
        warehouse, "insert into marts_build.dim_customers select * from marts_build.dim_customers limit 1"
    )
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "marts", "run-dup")
    assert "marts_build.dim_customers.customer_key" in str(raised.value)
    assert "expect_column_values_to_be_unique" in str(raised.value)
    rows = stored_results(warehouse, "run-dup")
    failed = [
        r for r in rows if r["expectation_type"] == "expect_column_values_to_be_unique" and not r["success"]
    ]
    assert [r["column_name"] for r in failed] == ["customer_key"]
    assert failed[0]["data_asset"] == "marts_build.dim_customers"


def test_orphan_order_fails_reference(settings, warehouse):
    execute(
        warehouse,
        "update marts_build.fct_orders set customer_key = 'no-such-customer' where source_order_id = '1001'",
    )
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "marts", "run-orphan")
    failures = _failed(raised.value.outcome.outcomes, "marts_build.fct_orders", "unexpected_rows_expectation")
    assert len(failures) == 1
    assert failures[0].unexpected_count is None
    assert failures[0].observed_value == "1"
    assert "bdg_customer_person" in failures[0].details["description"]


def test_low_email_share_warns(settings, warehouse):
    execute(warehouse, "update marts_build.dim_customers set has_valid_email = false where source = 'shop'")
    outcome = run_suite(settings, "marts", "run-emails")
    assert outcome.critical_failures == []
    assert [w.column_name for w in outcome.warnings] == ["has_valid_email"]
    rows = [r for r in stored_results(warehouse, "run-emails") if r["column_name"] == "has_valid_email"]
    assert len(rows) == 1
    assert rows[0]["success"] is False
    assert rows[0]["severity"] == "warning"


def test_results_stored_with_run_id(settings, warehouse):
    outcome = run_suite(settings, "raw_inputs", "run-stored")
    rows = stored_results(warehouse, "run-stored")
    assert len(rows) == outcome.evaluated
    assert {r["suite_name"] for r in rows} == {"raw_inputs"}
    assert {r["severity"] for r in rows} == {"critical", "warning"}


def test_data_docs_index_names_suite(settings):
    outcome = run_suite(settings, "raw_inputs", "run-docs")
    index = outcome.data_docs_index
    assert index == settings.data_docs_dir / "index.html"
    assert index.is_file()
    assert "raw_inputs.shop_customers" in index.read_text()


def test_data_docs_keep_earlier_runs(settings):
    run_suite(settings, "raw_inputs", "run-first")
    run_suite(settings, "raw_inputs", "run-second")
    index = (settings.data_docs_dir / "index.html").read_text()
    assert "run-first" in index
    assert "run-second" in index


PLANTED = "planted.person@@leak.example"


def test_planted_value_stays_hidden(settings, warehouse):
    # An email that reached a key column by mistake: the key check fails on it, and the
    # failure is reported with counts only, never with the value.
    execute(
        warehouse, "update raw.shop_customers set customer_key = :e where customer_id in (1, 2)", e=PLANTED
    )
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "raw_inputs", "run-planted")
    keys = [f for f in raised.value.outcome.critical_failures if f.column_name == "customer_key"]
    assert len(keys) == 1
    assert keys[0].unexpected_count == 2
    for path in settings.home.rglob("*"):
        if path.is_file():
            assert PLANTED not in path.read_text(errors="replace"), path
    for row in stored_results(warehouse, "run-planted"):
        assert PLANTED not in row["details_text"]
        assert PLANTED not in (row["observed_value"] or "")


def test_batch_filter_checks_given_batches(settings, warehouse):
    execute(
        warehouse,
        "insert into raw.olist_order_reviews (review_id, order_id, review_score, _batch_id, _source,"
        " _source_object) values ('bad', 'o1', 7, 'b2', 'olist', 'reviews2.csv')",
    )
    outcome = run_suite(settings, "raw_inputs", "run-b1", batch_ids=["b1"])
    assert outcome.critical_failures == []
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "raw_inputs", "run-b2", batch_ids=["b2"])
    failures = raised.value.outcome.critical_failures
    assert [(f.data_asset, f.column_name) for f in failures] == [("raw.olist_order_reviews", "review_score")]


def test_batch_filter_skips_other_tables(settings, warehouse):
    execute(warehouse, "update raw.olist_customers set _batch_id = 'b3'")
    run_suite(settings, "raw_inputs", "run-b3", batch_ids=["b3"])
    assets = {r["data_asset"] for r in stored_results(warehouse, "run-b3")}
    assert assets == {"raw.olist_customers"}


def test_mart_email_caught(settings, warehouse):
    leaked = "someone.real@example.org"
    execute(warehouse, "update marts_build.dim_customers set city = :v where source = 'olist'", v=leaked)
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "marts", "run-leak")
    failures = raised.value.outcome.critical_failures
    assert [(f.data_asset, f.expectation_type) for f in failures] == [
        ("marts_build.dim_customers", "unexpected_rows_expectation")
    ]
    assert failures[0].details["unexpected_rows_sample"] == [{"column_name": "city", "matching_rows": 4}]
    assert "city" in str(raised.value)
    assert leaked not in str(raised.value)
    for row in stored_results(warehouse, "run-leak"):
        assert leaked not in row["details_text"]


def test_mart_phone_caught(settings, warehouse):
    execute(
        warehouse,
        "update marts_build.fct_orders set order_status = '+55 11 91234-5678' where source_order_id = '1003'",
    )
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "marts", "run-phone")
    failures = raised.value.outcome.critical_failures
    assert [f.data_asset for f in failures] == ["marts_build.fct_orders"]
    assert failures[0].details["unexpected_rows_sample"] == [
        {"column_name": "order_status", "matching_rows": 1}
    ]


def test_missing_mart_fails(settings, warehouse):
    execute(warehouse, "drop table marts_build.customer_segments")
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "marts", "run-missing")
    failures = raised.value.outcome.critical_failures
    assert [(f.data_asset, f.expectation_type) for f in failures] == [
        ("marts_build.customer_segments", "expect_table_to_exist")
    ]


def test_stale_raw_data_warns(settings, warehouse):
    for table in ("shop_orders", "shop_customers", "olist_customers"):
        execute(warehouse, f"update raw.{table} set _loaded_at = now() - interval '5 days'")
    outcome = run_suite(settings, "marts", "run-stale")
    assert [w.data_asset for w in outcome.warnings] == ["raw.*"]


def test_cli_exit_codes(settings, warehouse, monkeypatch):
    monkeypatch.setenv("CW_HOME", str(settings.home))
    monkeypatch.setenv("CW_WAREHOUSE_URL", settings.warehouse_url)
    assert main(["marts", "--run-id", "run-cli-ok"]) == 0
    execute(warehouse, "update marts_build.customer_rfm set r_score = 9")
    assert main(["marts", "--run-id", "run-cli-bad", "--schema", "marts_build"]) == 1


def test_unknown_suite_rejected(settings):
    with pytest.raises(ValueError, match="unknown suite 'customers'"):
        run_suite(settings, "customers", "run-unknown")


_RUN_IN_CHILD = """
import sys
from pathlib import Path
from customer_warehouse.quality import run_suite
from tests.support import make_settings
settings = make_settings(Path(sys.argv[1]), sys.argv[2])
print(run_suite(settings, "marts", sys.argv[3]).summary())
"""


def test_parallel_processes_share_home(settings, warehouse):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _RUN_IN_CHILD, str(settings.home), settings.warehouse_url, run_id],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for run_id in ("run-parallel-1", "run-parallel-2")
    ]
    for child in children:
        _, stderr = child.communicate(timeout=600)
        assert child.returncode == 0, stderr[-2000:]
    stored = {
        r["run_id"] for run in ("run-parallel-1", "run-parallel-2") for r in stored_results(warehouse, run)
    }
    assert stored == {"run-parallel-1", "run-parallel-2"}
    stored_runs = {
        path.name for path in (settings.home / "gx" / "validations").glob("marts/*/run-parallel-*")
    }
    assert stored_runs == {"run-parallel-1", "run-parallel-2"}
    assert (settings.data_docs_dir / "index.html").is_file()
