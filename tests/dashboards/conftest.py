"""Fixtures for the dashboard tests: a real pipeline run, a throwaway Superset, a browser report.

Superset runs from its own environment (``.venv/superset``) as a gunicorn subprocess on a
free port of 127.0.0.1, with its metadata in a throwaway PostgreSQL database. The browser
check runs as a script in that environment too, because Playwright is installed there.
Screenshots go to ``$CW_TEST_OUTPUT_DIR/dashboards`` (default ``var/test-output``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg2
import pytest
import yaml

from customer_warehouse.config import REPO_ROOT
from customer_warehouse.dashboards import (
    SupersetClient,
    SupersetConfig,
    SupersetProcess,
    import_dashboards,
    init_superset,
    start_superset,
    stop_superset,
)
from customer_warehouse.db import psycopg2_dsn

HERE = Path(__file__).resolve().parent
CHECK_SCRIPT = REPO_ROOT / "superset" / "tests_browser" / "check_dashboards.py"
DASHBOARD_TITLES = {
    "customer-overview": "Customer overview",
    "data-quality": "Data quality",
    "customer-authenticity": "Customer authenticity",
}
DASHBOARD_SLUGS = list(DASHBOARD_TITLES)
# Charts each dashboard places, by title.
CHARTS_PER_DASHBOARD = {"Customer overview": 8, "Data quality": 5, "Customer authenticity": 10}
OUTPUT_DIR = Path(os.environ.get("CW_TEST_OUTPUT_DIR", REPO_ROOT / "var" / "test-output")) / "dashboards"


def query_one(url: str, sql: str):
    with psycopg2.connect(psycopg2_dsn(url)) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        value = cursor.fetchone()[0]
    conn.close()
    return value


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def populated_warehouse(pipeline_run: dict) -> str:
    """Return the URL of a warehouse filled by a real run of the customer_warehouse DAG."""
    return pipeline_run["cfg"].warehouse_url


@pytest.fixture(scope="session")
def warehouse_connections(access_applied) -> tuple[str, str]:
    """Return the URLs of Superset's two warehouse connections: dashboard role, analyst role."""
    return access_applied.role_url("dashboard"), access_applied.role_url("analyst")


@pytest.fixture(scope="session")
def superset_cfg(
    pg_database: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> SupersetConfig:
    """Return settings of a throwaway Superset: own metadata database, home, port and secrets."""
    venv = REPO_ROOT / ".venv" / "superset"
    assert (venv / "bin" / "superset").is_file(), (
        f"Superset environment not found at {venv}: run make install-superset"
    )
    return SupersetConfig(
        home=tmp_path_factory.mktemp("superset_home"),
        port=free_port(),
        venv=venv,
        metadata_uri=pg_database("dash_meta"),
        env={
            "SUPERSET_SECRET_KEY": secrets.token_urlsafe(42),
            "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(16),
            # A per-process cache keeps test results out of the demo's Redis database.
            "SUPERSET_CACHE_REDIS_URL": "simple",
        },
        workers=2,
    )


@pytest.fixture(scope="session")
def superset_server(
    superset_cfg: SupersetConfig, warehouse_connections: tuple[str, str]
) -> Iterator[SupersetProcess]:
    """Initialize and start Superset, import the dashboards once; stop Superset afterwards.

    Superset reads the warehouse as the dashboard and analyst roles, with the passwords
    the ``role_passwords`` fixture put into the environment.
    """
    init_superset(superset_cfg)
    process = start_superset(superset_cfg)
    try:
        import_dashboards(superset_cfg, *warehouse_connections)
        yield process
    finally:
        stop_superset(superset_cfg)


@pytest.fixture(scope="session")
def superset_client(superset_server: SupersetProcess, superset_cfg: SupersetConfig) -> SupersetClient:
    return SupersetClient(superset_cfg)


@dataclass(frozen=True)
class ObjectCounts:
    dashboards: int
    charts: int
    datasets: int
    databases: int
    charts_per_dashboard: dict[str, int]


def count_objects(client: SupersetClient) -> ObjectCounts:
    def count(resource: str) -> int:
        return client.call("GET", f"/{resource}/", params={"q": "(page_size:1)"})["count"]

    dashboards = client.call("GET", "/dashboard/", params={"q": "(page_size:100)"})["result"]
    per_dashboard = {
        item["dashboard_title"]: len(client.call("GET", f"/dashboard/{item['id']}/charts")["result"])
        for item in dashboards
    }
    return ObjectCounts(
        count("dashboard"), count("chart"), count("dataset"), count("database"), per_dashboard
    )


@pytest.fixture(scope="session")
def reimport_counts(
    superset_client: SupersetClient, superset_cfg: SupersetConfig, warehouse_connections: tuple[str, str]
) -> tuple[ObjectCounts, ObjectCounts]:
    """Import the bundle a second time; return the object counts before and after."""
    before = count_objects(superset_client)
    import_dashboards(superset_cfg, *warehouse_connections)
    after = count_objects(superset_client)
    return before, after


def chart_names_by_uuid(client: SupersetClient) -> dict[str, str]:
    charts = client.call("GET", "/chart/", params={"q": "(columns:!(slice_name,uuid),page_size:100)"})[
        "result"
    ]
    return {item["uuid"]: item["slice_name"] for item in charts}


@pytest.fixture(scope="session")
def edited_reimport(
    superset_client: SupersetClient,
    superset_cfg: SupersetConfig,
    warehouse_connections: tuple[str, str],
    reimport_counts: tuple,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, str]:
    """Import a copy of the assets with one chart renamed, then the originals again.

    Returns the chart's name in Superset after each of the two imports.
    """
    edited_assets = tmp_path_factory.mktemp("edited") / "assets"
    shutil.copytree(superset_cfg.assets_dir, edited_assets)
    chart_file = edited_assets / "charts" / "customers_total.yaml"
    chart = yaml.safe_load(chart_file.read_text())
    chart["slice_name"] = "Customers (edited)"
    chart_file.write_text(yaml.safe_dump(chart, sort_keys=False))
    import_dashboards(replace(superset_cfg, assets_dir=edited_assets), *warehouse_connections)
    edited = chart_names_by_uuid(superset_client)[chart["uuid"]]
    import_dashboards(superset_cfg, *warehouse_connections)
    restored = chart_names_by_uuid(superset_client)[chart["uuid"]]
    return edited, restored


@pytest.fixture(scope="session")
def browser_report(
    superset_server: SupersetProcess, superset_cfg: SupersetConfig, edited_reimport: tuple
) -> dict:
    """Run the headless-browser check on every dashboard (after the re-imports) and parse its JSON."""
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    env = superset_cfg.process_env()
    result = subprocess.run(
        [
            str(superset_cfg.bin("python")),
            str(CHECK_SCRIPT),
            "--url",
            superset_server.url,
            "--out-dir",
            str(OUTPUT_DIR),
        ]
        + DASHBOARD_SLUGS,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"browser check failed:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    (OUTPUT_DIR / "report.json").write_text(json.dumps(report, indent=2))
    return report
