"""Shared setup for the benchmarks: throwaway databases, an Airflow home, timed DAG runs.

Benchmarks create databases named ``bench_*`` on the local PostgreSQL and drop them when
they finish, so they never touch the demo's or the tests' databases. With
``CW_BENCH_LOG_DIR`` set to a folder, each DAG run's output (task logs included) is kept
there as ``<logical date>.log``.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from customer_warehouse.config import Settings
from customer_warehouse.dag_run import parse_report
from customer_warehouse.db import drop_database, ensure_database
from customer_warehouse.pii.crypto import new_key_entry
from customer_warehouse.runtime import airflow_env, venv_bin

PG_SERVER = os.environ.get("CW_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


@dataclass
class BenchEnv:
    settings: Settings
    env: dict[str, str]


@contextmanager
def bench_environment(label: str):
    """Yield settings and an Airflow environment over fresh databases; drop them afterwards."""
    urls = {
        name: make_url(PG_SERVER).set(database=f"bench_{label}_{name}").render_as_string(False)
        for name in ("wh", "shop", "airflow", "vault")
    }
    for url in urls.values():
        drop_database(url)
        ensure_database(url)
    with tempfile.TemporaryDirectory(prefix=f"cw-bench-{label}-") as tmp:
        home = Path(tmp)
        cfg = Settings(
            home=home,
            warehouse_url=urls["wh"],
            shop_url=urls["shop"],
            landing_dir=home / "landing",
            truth_dir=home / "truth",
            data_docs_dir=home / "data_docs",
            extract_lookback_seconds=3600,
            vault_url=urls["vault"],
        )
        os.environ["CW_AIRFLOW_DB_URL"] = urls["airflow"]
        env = {
            **airflow_env(cfg),
            "CW_PSEUDONYM_KEY": secrets.token_hex(32),
            "CW_VAULT_KEYS": new_key_entry("bench1"),
            "CW_TASK_RETRIES": "0",
        }
        subprocess.run([venv_bin("airflow"), "db", "migrate"], env=env, check=True, capture_output=True)
        # The DAG loads dbt's manifest; a fresh checkout has none until dbt parses the project.
        subprocess.run([venv_bin("cw-dbt"), "parse", "--quiet"], env=env, check=True, capture_output=True)
        try:
            yield BenchEnv(settings=cfg, env=env)
        finally:
            for url in urls.values():
                drop_database(url)


def run_dag(
    bench: BenchEnv, logical_date: str, mark_success_pattern: str | None = None
) -> tuple[float, dict]:
    """Run the customer_warehouse DAG once; return wall seconds and the run report."""
    args = [
        sys.executable,
        "-m",
        "customer_warehouse.dag_run",
        "customer_warehouse",
        "--logical-date",
        logical_date,
    ]
    if mark_success_pattern:
        args += ["--mark-success-pattern", mark_success_pattern]
    started = time.monotonic()
    result = subprocess.run(args, env=bench.env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if os.environ.get("CW_BENCH_LOG_DIR"):
        log = Path(os.environ["CW_BENCH_LOG_DIR"]) / f"{logical_date[:19].replace(':', '')}.log"
        log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"DAG run failed (exit {result.returncode}):\n{result.stderr[-4000:]}")
    return seconds, parse_report(result.stdout)


def span_seconds(report: dict, prefix: str) -> float:
    """Seconds from the first start to the last end of the tasks whose id starts with ``prefix``."""
    starts, ends = [], []
    for task_id, (start, end) in report["timings"].items():
        if task_id.startswith(prefix) and start and end:
            starts.append(datetime.fromisoformat(start))
            ends.append(datetime.fromisoformat(end))
    if not starts:
        raise RuntimeError(f"no finished task starts with {prefix!r}")
    return (max(ends) - min(starts)).total_seconds()


def timed(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    started = time.monotonic()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.monotonic() - started
