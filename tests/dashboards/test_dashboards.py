"""Dashboards as code: bundle, configuration checks, import, refresh and a headless browser."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from customer_warehouse.config import REPO_ROOT
from customer_warehouse.dashboards import (
    BUNDLE_ROOT,
    SupersetConfig,
    SupersetError,
    build_bundle,
    dashboard_titles,
    init_superset,
    main,
    refresh_dashboards,
    stop_superset,
)
from tests.dashboards.conftest import (
    CHARTS_PER_DASHBOARD,
    DASHBOARD_SLUGS,
    DASHBOARD_TITLES,
    free_port,
    query_one,
)

ASSETS = REPO_ROOT / "superset" / "assets"
DRAWN_VIZ_TYPES = {"echarts_timeseries_bar", "echarts_timeseries_line", "pie", "heatmap_v2"}
TABLE_VIZ_TYPES = {"table", "pivot_table_v2"}


def _bundle_names(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as archive:
        return archive.namelist()


def _bundle_database(bundle: Path) -> dict:
    with zipfile.ZipFile(bundle) as archive:
        return yaml.safe_load(archive.read(f"{BUNDLE_ROOT}/databases/customer_warehouse.yaml"))


def test_bundle_single_top_folder(tmp_path: Path) -> None:
    bundle = build_bundle(ASSETS, "postgresql+psycopg2://reader:s3cret@127.0.0.1:5432/wh", tmp_path)
    names = _bundle_names(bundle)
    assert f"{BUNDLE_ROOT}/metadata.yaml" in names
    assert {name.split("/")[0] for name in names} == {BUNDLE_ROOT}


def test_bundle_drops_warehouse_password(tmp_path: Path) -> None:
    bundle = build_bundle(ASSETS, "postgresql+psycopg2://reader:s3cret@127.0.0.1:5432/wh", tmp_path)
    database = _bundle_database(bundle)
    assert database["sqlalchemy_uri"] == "postgresql+psycopg2://reader@127.0.0.1:5432/wh"
    with zipfile.ZipFile(bundle) as archive:
        for name in archive.namelist():
            assert b"s3cret" not in archive.read(name), name


def test_bundle_sql_lab_connection(tmp_path: Path) -> None:
    bundle = build_bundle(
        ASSETS,
        "postgresql+psycopg2://dash:pw-1@127.0.0.1:5432/wh",
        tmp_path,
        sql_lab_url="postgresql+psycopg2://ana:pw-2@127.0.0.1:5432/wh?sslmode=require",
    )
    with zipfile.ZipFile(bundle) as archive:
        sql_lab = yaml.safe_load(archive.read(f"{BUNDLE_ROOT}/databases/customer_warehouse_sql_lab.yaml"))
    assert sql_lab["sqlalchemy_uri"] == "postgresql+psycopg2://ana@127.0.0.1:5432/wh?sslmode=require"
    assert sql_lab["expose_in_sqllab"] is True
    assert _bundle_database(bundle)["expose_in_sqllab"] is False


def test_bundle_without_sql_lab_url(tmp_path: Path) -> None:
    bundle = build_bundle(ASSETS, "postgresql+psycopg2://dash@127.0.0.1:5432/wh", tmp_path)
    assert f"{BUNDLE_ROOT}/databases/customer_warehouse_sql_lab.yaml" not in _bundle_names(bundle)


def test_bundle_charts_get_query_context(tmp_path: Path) -> None:
    bundle = build_bundle(ASSETS, "postgresql+psycopg2://postgres@127.0.0.1:5432/wh", tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        charts = [yaml.safe_load(archive.read(n)) for n in archive.namelist() if "/charts/" in n]
    assert charts
    for chart in charts:
        assert chart["query_context"], f"chart {chart['slice_name']!r} has no query context"


def test_assets_hold_no_password() -> None:
    for path in sorted((ASSETS / "databases").glob("*.yaml")):
        database = yaml.safe_load(path.read_text())
        assert ":" not in database["sqlalchemy_uri"].split("//", 1)[1].split("@")[0], path.name


def test_datasets_read_dashboards_views() -> None:
    views = {path.stem for path in (REPO_ROOT / "plugins/customer_warehouse/sql/dashboards").glob("*.sql")}
    for path in sorted((ASSETS / "datasets").rglob("*.yaml")):
        dataset = yaml.safe_load(path.read_text())
        assert dataset["schema"] == "dashboards", path.name
        assert dataset["sql"] is None, path.name
        assert dataset["table_name"] in views, path.name


def test_browser_checks_every_dashboard() -> None:
    dashboards = [yaml.safe_load(p.read_text()) for p in (ASSETS / "dashboards").glob("*.yaml")]
    assert {item["slug"]: item["dashboard_title"] for item in dashboards} == DASHBOARD_TITLES


def test_dashboard_titles_from_assets() -> None:
    assert dashboard_titles() == sorted(DASHBOARD_TITLES.values())


def test_assets_reference_known_uuids() -> None:
    def load(folder: str) -> list[dict]:
        return [yaml.safe_load(p.read_text()) for p in sorted((ASSETS / folder).rglob("*.yaml"))]

    database_uuids = {item["uuid"] for item in load("databases")}
    dataset_uuids = {item["uuid"] for item in load("datasets")}
    chart_uuids = {item["uuid"] for item in load("charts")}
    for dataset in load("datasets"):
        assert dataset["database_uuid"] in database_uuids, dataset["table_name"]
    for chart in load("charts"):
        assert chart["dataset_uuid"] in dataset_uuids, chart["slice_name"]
    for dashboard in load("dashboards"):
        placed = {
            n["meta"]["uuid"]
            for n in dashboard["position"].values()
            if isinstance(n, dict) and n.get("type") == "CHART"
        }
        assert placed <= chart_uuids, dashboard["dashboard_title"]


@pytest.mark.superset
def test_config_missing_secret_key(superset_cfg: SupersetConfig) -> None:
    env = {k: v for k, v in superset_cfg.process_env().items() if k != "SUPERSET_SECRET_KEY"}
    result = subprocess.run(
        [str(superset_cfg.bin("superset")), "version"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0
    assert "SUPERSET_SECRET_KEY is not set" in result.stderr


def test_process_env_missing_secret_key(
    superset_cfg: SupersetConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUPERSET_SECRET_KEY", raising=False)
    cfg = replace(superset_cfg, env={k: v for k, v in superset_cfg.env.items() if k != "SUPERSET_SECRET_KEY"})
    with pytest.raises(SupersetError, match="SUPERSET_SECRET_KEY is not set"):
        cfg.process_env()


def test_init_missing_admin_password(superset_cfg: SupersetConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPERSET_ADMIN_PASSWORD", raising=False)
    cfg = replace(
        superset_cfg, env={k: v for k, v in superset_cfg.env.items() if k != "SUPERSET_ADMIN_PASSWORD"}
    )
    with pytest.raises(SupersetError, match="SUPERSET_ADMIN_PASSWORD is not set"):
        init_superset(cfg)


def test_refresh_when_not_running(superset_cfg: SupersetConfig) -> None:
    cfg = replace(superset_cfg, port=free_port())
    assert refresh_dashboards(cfg) == []


def test_stop_when_not_running(tmp_path: Path) -> None:
    assert stop_superset(SupersetConfig(home=tmp_path)) is False


def test_stop_ignores_foreign_pid(tmp_path: Path) -> None:
    cfg = SupersetConfig(home=tmp_path)
    cfg.pid_file.write_text(f"{os.getpid()}\n")
    assert stop_superset(cfg) is False


def test_cli_import_without_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPERSET_SECRET_KEY", raising=False)
    monkeypatch.setenv("CW_SUPERSET_HOME", str(tmp_path))
    url = "postgresql+psycopg2://postgres@127.0.0.1:5432/unused"
    assert main(["import", "--warehouse-url", url]) == 1


@pytest.mark.superset
@pytest.mark.slow
class TestRunningSuperset:
    def test_import_creates_dashboards(self, reimport_counts) -> None:
        before, _ = reimport_counts
        assert before.charts_per_dashboard == CHARTS_PER_DASHBOARD

    def test_reimport_keeps_counts(self, reimport_counts) -> None:
        before, after = reimport_counts
        assert after == before

    def test_reimport_applies_edited_chart(self, edited_reimport) -> None:
        edited, _ = edited_reimport
        assert edited == "Customers (edited)"

    def test_reimport_restores_chart(self, edited_reimport) -> None:
        _, restored = edited_reimport
        assert restored == "Customers"

    def test_server_binds_loopback(self, superset_server) -> None:
        assert superset_server.url.startswith("http://127.0.0.1:")

    def test_pid_file_names_server(self, superset_server, superset_cfg: SupersetConfig) -> None:
        assert int(superset_cfg.pid_file.read_text()) == superset_server.pid

    def test_refresh_warms_every_chart(self, superset_cfg: SupersetConfig, reimport_counts) -> None:
        refreshed = {item.title: item for item in refresh_dashboards(superset_cfg)}
        assert {title: item.charts_warmed for title, item in refreshed.items()} == CHARTS_PER_DASHBOARD
        for item in refreshed.values():
            assert item.chart_errors == {}, item.title
            assert item.datasets_invalidated > 0, item.title

    def test_browser_opens_every_dashboard(self, browser_report: dict) -> None:
        assert [item["slug"] for item in browser_report["dashboards"]] == DASHBOARD_SLUGS
        for item in browser_report["dashboards"]:
            assert item["http_status"] == 200, item["slug"]

    def test_browser_only_loopback(self, browser_report: dict) -> None:
        assert set(browser_report["allowed_hosts"]) <= {"127.0.0.1", "data", "blob"}

    def test_every_chart_draws_data(self, browser_report: dict) -> None:
        for dashboard in browser_report["dashboards"]:
            expected = CHARTS_PER_DASHBOARD[DASHBOARD_TITLES[dashboard["slug"]]]
            assert len(dashboard["charts"]) == expected, dashboard["slug"]
            for chart in dashboard["charts"]:
                label = f"{dashboard['slug']}: {chart['name']}"
                assert chart["error"] is None, f"{label} shows an error: {chart['error']}"
                assert not chart["no_results"], f"{label} shows No results"
                assert not chart["loading"], f"{label} is still loading"
                if chart["viz_type"] in DRAWN_VIZ_TYPES:
                    assert chart["canvases"] > 0, f"{label} drew nothing on its canvas"
                elif chart["viz_type"] in TABLE_VIZ_TYPES:
                    assert chart["table_cells"] > 0, f"{label} has an empty table"
                else:
                    assert chart["big_number"], f"{label} shows no number"

    def test_screenshot_per_dashboard(self, browser_report: dict) -> None:
        for dashboard in browser_report["dashboards"]:
            path = Path(dashboard["screenshot"])
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path

    def test_screenshot_shows_every_chart(self, browser_report: dict) -> None:
        # screenshot_ink is the share of a chart's area that differs from its background.
        # A blank or still-fading chart scores 0. The sparsest chart here, a pivot table,
        # scored about 0.02 in the runs so far.
        for dashboard in browser_report["dashboards"]:
            for chart in dashboard["charts"]:
                label = f"{dashboard['slug']}: {chart['name']}"
                assert chart["screenshot_ink"] > 0.005, f"{label} is blank in {dashboard['screenshot']}"

    def test_customers_number_matches_sql(self, browser_report: dict, populated_warehouse: str) -> None:
        expected = query_one(
            populated_warehouse, "select count(*) from marts.dim_customers where not is_deleted"
        )
        displayed = _chart(browser_report, "customer-overview", "Customers")["big_number"]
        assert int(displayed.replace(",", "")) == expected

    def test_revenue_number_matches_sql(self, browser_report: dict, populated_warehouse: str) -> None:
        expected = query_one(
            populated_warehouse,
            "select sum(payment_total) from marts.fct_orders where not is_cancelled and currency = 'BRL'",
        )
        displayed = _chart(browser_report, "customer-overview", "Revenue (BRL)")["big_number"]
        assert Decimal(displayed.replace(",", "")) == expected

    def test_failed_table_matches_sql(self, browser_report: dict, populated_warehouse: str) -> None:
        failed = query_one(
            populated_warehouse, "select count(*) from audit.quality_results where not success"
        )
        table = _chart(browser_report, "data-quality", "Failed expectations")
        # The table header shows the row count in its search box placeholder ("30 records...",
        # "1 record...").
        assert re.search(rf"\b{failed} records?\b", table["search_placeholder"]), table["search_placeholder"]

    def test_flagged_number_matches_sql(self, browser_report: dict, populated_warehouse: str) -> None:
        expected = query_one(
            populated_warehouse, "select count(*) from authenticity.account_scores where band <> 'trusted'"
        )
        assert expected > 0, "the pipeline run flagged no account, so the chart would prove nothing"
        displayed = _chart(browser_report, "customer-authenticity", "Flagged accounts")["big_number"]
        assert int(displayed.replace(",", "")) == expected

    def test_merged_number_matches_sql(self, browser_report: dict, populated_warehouse: str) -> None:
        expected = query_one(
            populated_warehouse,
            "select sum(account_count) from identity.persons where status = 'active' and account_count > 1",
        )
        assert expected > 0, "identity resolution linked no accounts, so the chart would prove nothing"
        displayed = _chart(browser_report, "customer-authenticity", "Accounts merged into persons")
        assert int(displayed["big_number"].replace(",", "")) == expected

    def test_identity_runs_table_row_per_run(self, browser_report: dict, populated_warehouse: str) -> None:
        runs = query_one(populated_warehouse, "select count(*) from identity.runs")
        table = _chart(browser_report, "customer-authenticity", "Identity resolution runs")
        # Ten columns per run, every cell filled (zeros included), on a first page of 10 runs.
        assert table["table_cells"] == 10 * min(runs, 10)


def _chart(report: dict, slug: str, name: str) -> dict:
    dashboard = next(item for item in report["dashboards"] if item["slug"] == slug)
    return next(chart for chart in dashboard["charts"] if chart["name"] == name)


def test_superset_env_has_no_pipeline_path(superset_cfg: SupersetConfig) -> None:
    env = superset_cfg.process_env()
    assert "VIRTUAL_ENV" not in env
    assert env["SUPERSET_CONFIG_PATH"].endswith(os.path.join("superset", "superset_config.py"))


@pytest.mark.parametrize("command", ["refresh", "security", "users"])
def test_cli_api_command_when_not_running(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("CW_SUPERSET_HOME", str(tmp_path))
    port = free_port()
    assert main([command, "--port", str(port)]) == 1
    assert f"Superset does not answer at http://127.0.0.1:{port}" in caplog.text
    assert "make superset-up" in caplog.text
