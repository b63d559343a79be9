"""Fixtures for DAG tests: an Airflow home and metadata database of the test's own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from customer_warehouse.config import REPO_ROOT
from customer_warehouse.runtime import airflow_env, venv_bin
from tests.support import make_settings


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """Parse the dbt project so the DAG can load ``target/manifest.json`` (no database needed)."""
    result = subprocess.run(
        [
            venv_bin("dbt"),
            "parse",
            "--quiet",
            "--project-dir",
            str(REPO_ROOT / "dbt_project"),
            "--profiles-dir",
            str(REPO_ROOT / "dbt_project"),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "CW_DBT_HOST": "127.0.0.1",
            "CW_DBT_PORT": "5432",
            "CW_DBT_USER": "postgres",
            "CW_DBT_PASSWORD": "",
            "CW_DBT_DBNAME": "postgres",
        },
    )
    assert result.returncode == 0, f"dbt parse failed:\n{result.stdout}\n{result.stderr}"
    path = REPO_ROOT / "dbt_project" / "target" / "manifest.json"
    assert path.is_file(), "dbt parse wrote no target/manifest.json"
    return path


@pytest.fixture(scope="session")
def airflow_environment(tmp_path_factory: pytest.TempPathFactory, pg_database: Callable[[str], str]):
    """Return a function building the environment of an Airflow process for given settings.

    The metadata database is a throwaway PostgreSQL database, migrated once per session.
    """
    airflow_db = pg_database("airflow")

    def build(cfg) -> dict[str, str]:
        os.environ["CW_AIRFLOW_DB_URL"] = airflow_db
        env = airflow_env(cfg)
        env["CW_TASK_RETRIES"] = "0"
        return env

    home = tmp_path_factory.mktemp("airflow_home")
    cfg = make_settings(home, warehouse_url=airflow_db)
    env = build(cfg)
    result = subprocess.run([venv_bin("airflow"), "db", "migrate"], env=env, capture_output=True, text=True)
    assert result.returncode == 0, (
        f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return build
