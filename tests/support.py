"""Plain helpers for test modules (import them as ``from tests.support import ...``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from customer_warehouse.config import Settings
from customer_warehouse.dag_run import parse_report


def vault_url_for(warehouse_url: str) -> str:
    """Return the URL of the test vault paired with a test warehouse: its name plus ``_vault``.

    The ``pg_database`` fixture drops these paired databases with the warehouse.
    """
    url = make_url(warehouse_url)
    return url.set(database=f"{url.database}_vault").render_as_string(hide_password=False)


def make_settings(home: Path, warehouse_url: str, shop_url: str | None = None) -> Settings:
    """Build settings rooted in ``home`` for one test, without reading the environment."""
    return Settings(
        vault_url=vault_url_for(warehouse_url),
        home=home,
        warehouse_url=warehouse_url,
        shop_url=shop_url or warehouse_url,
        landing_dir=home / "landing",
        truth_dir=home / "truth",
        data_docs_dir=home / "data_docs",
        extract_lookback_seconds=3600,
    )


def run_python(code: str, env: dict[str, str], timeout: int = 1800) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter of the pipeline environment with ``env``."""
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout
    )


RUN_DAG = "import sys; from customer_warehouse.dag_run import main; sys.exit(main({argv!r}))"


def run_dag(
    env: dict[str, str],
    logical_date: str,
    dag_id: str = "customer_warehouse",
    mark_success_pattern: str | None = None,
    conf: dict | None = None,
) -> dict:
    """Run a DAG once with dag.test() in a fresh process; return exit code, task states and output.

    Tasks whose whole id matches ``mark_success_pattern`` are marked successful without running.
    ``conf`` is the run configuration (the DAG's params).
    """
    argv = [dag_id, "--logical-date", logical_date]
    if mark_success_pattern:
        argv += ["--mark-success-pattern", mark_success_pattern]
    if conf:
        argv += ["--conf", json.dumps(conf)]
    result = run_python(RUN_DAG.format(argv=argv), env)
    return {
        "returncode": result.returncode,
        "report": parse_report(result.stdout),
        "stderr": result.stderr,
        "stdout": result.stdout,
    }
