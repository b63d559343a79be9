"""The run summary shows the latest DAG run's loads and quality results, and totals apart."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from customer_warehouse.summary import collect_summary, format_summary
from customer_warehouse.warehouse import bootstrap
from tests.support import make_settings

# (batch id, run id, rows read, rows quarantined, minutes ago the batch started)
BATCHES = [
    ("b1", "scheduled__run-1", 1000, 0, 60),
    ("b2", "scheduled__run-1", 500, 2, 59),
    ("b3", "scheduled__run-2", 40, 1, 10),
    ("b4", "scheduled__run-2", 0, 0, 9),
]
# (run id, suite, severity, success, results): run 1 failed the gate, an ad-hoc validation
# after it failed too, and run 2 passed.
QUALITY = [
    ("scheduled__run-1", "marts", "critical", False, 2),
    ("scheduled__run-1", "marts", "critical", True, 69),
    ("manual__2026-12-05T08:00:00", "marts", "critical", False, 2),
    ("scheduled__run-2", "marts", "critical", True, 71),
    ("scheduled__run-2", "raw_inputs", "warning", False, 1),
]


@pytest.fixture()
def settings(pg_database, tmp_path):
    cfg = make_settings(tmp_path, pg_database("summary"))
    eng = bootstrap(cfg.warehouse_url)
    with eng.begin() as conn:
        for batch_id, run_id, read, quarantined, minutes_ago in BATCHES:
            conn.execute(
                sa.text(
                    "insert into audit.load_batches (batch_id, run_id, source, source_object, status,"
                    " rows_read, rows_loaded, rows_quarantined, started_at)"
                    " values (:b, :r, 'shop', 'customers', 'loaded', :read, :loaded, :q,"
                    " now() - make_interval(mins => :m))"
                ),
                {"b": batch_id, "r": run_id, "read": read, "loaded": read - quarantined, "q": quarantined,
                 "m": minutes_ago},
            )  # fmt: skip
            for row in range(quarantined):
                conn.execute(
                    sa.text(
                        "insert into audit.quarantine (batch_id, source, source_object, source_row, rule,"
                        " reason) values (:b, 'shop', 'customers', :row, :rule, 'test row')"
                    ),
                    {"b": batch_id, "row": row + 1, "rule": f"rule_of_{run_id}"},
                )
        for run_id, suite, severity, success, results in QUALITY:
            conn.execute(
                sa.text(
                    "insert into audit.quality_results (run_id, suite_name, data_asset, expectation_type,"
                    " severity, success) select :r, :s, 'marts_build.fct_orders', 'expect_x', :sev, :ok"
                    " from generate_series(1, :n)"
                ),
                {"r": run_id, "s": suite, "sev": severity, "ok": success, "n": results},
            )
    eng.dispose()
    return cfg


def test_summary_defaults_to_latest_run(settings):
    summary = collect_summary(settings)
    assert summary.run_id == "scheduled__run-2"
    assert summary.is_latest_run
    assert summary.loads == {"batches": 2, "rows_read": 40, "rows_loaded": 39, "rows_quarantined": 1}
    assert summary.quarantine_by_rule == {"rule_of_scheduled__run-2": 1}


def test_summary_quality_of_run_only(settings):
    quality = collect_summary(settings).quality
    assert quality["marts"] == {"critical_passed": 71}
    assert quality["raw_inputs"] == {"warning_failed": 1}


def test_summary_totals_since_creation(settings):
    total = collect_summary(settings).loads_total
    assert total == {"batches": 4, "rows_read": 1540, "rows_loaded": 1537, "rows_quarantined": 3, "runs": 2}


def test_summary_of_given_run(settings):
    summary = collect_summary(settings, "scheduled__run-1")
    assert not summary.is_latest_run
    assert summary.loads["rows_read"] == 1500
    assert summary.quality["marts"] == {"critical_failed": 2, "critical_passed": 69}


def test_format_labels_run_and_totals(settings):
    text = format_summary(collect_summary(settings))
    assert "Latest DAG run scheduled__run-2:" in text
    assert "  Loads: 2 batches, 40 rows read = 39 loaded + 1 quarantined" in text
    assert "    marts: critical_passed 71" in text
    assert "critical_failed" not in text
    assert (
        "Loads since the warehouse was created (2 runs): 4 batches, 1,540 rows read = "
        "1,537 loaded + 3 quarantined" in text
    )


def test_format_before_any_run(pg_database, tmp_path):
    cfg = make_settings(tmp_path, pg_database("summary_empty"))
    bootstrap(cfg.warehouse_url).dispose()
    summary = collect_summary(cfg)
    assert summary.run_id is None
    assert "No DAG run has loaded data yet" in format_summary(summary)
