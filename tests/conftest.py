"""Fixtures shared by every test: throwaway databases on the local servers and settings.

Each test session creates its own uniquely named databases and drops them at the end,
so tests never touch the databases the demo command uses. Set ``CW_TEST_PG_URL`` or
``CW_TEST_MYSQL_URL`` to point the tests at other servers.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from customer_warehouse import simulator
from customer_warehouse.access import PASSWORD_VARIABLES, apply_access, drop_roles
from customer_warehouse.config import REPO_ROOT, Settings
from customer_warehouse.db import drop_database, ensure_database
from customer_warehouse.pii.crypto import new_key_entry
from customer_warehouse.runtime import airflow_env, venv_bin
from tests.planted import plant
from tests.support import make_settings, run_dag, vault_url_for

PG_SERVER_URL = os.environ.get("CW_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
MYSQL_SERVER_URL = os.environ.get("CW_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql")
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

os.environ.setdefault("AIRFLOW__USAGE_DATA_COLLECTION__ENABLED", "False")
os.environ.setdefault("SCARF_ANALYTICS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# Role names are shared by every database of a server, so each test session gets its own
# prefix: publishing and `cw access apply` then never touch the demo's roles.
TEST_ROLE_PREFIX = f"cwt_{uuid.uuid4().hex[:8]}_"
os.environ["CW_ROLE_PREFIX"] = TEST_ROLE_PREFIX


def _database_factory(server_url: str) -> Iterator[Callable[[str], str]]:
    created: list[str] = []

    def make(label: str) -> str:
        name = f"cwt_{label}_{uuid.uuid4().hex[:8]}"
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        ensure_database(url)
        created.append(url)
        return url

    yield make
    for url in created:
        drop_database(url)
        if make_url(url).get_backend_name() == "postgresql":
            drop_database(vault_url_for(url))


@pytest.fixture(scope="session")
def role_prefix() -> Iterator[str]:
    """Return this session's role prefix; drop the roles it created after every database is gone."""
    yield TEST_ROLE_PREFIX
    drop_roles(PG_SERVER_URL, TEST_ROLE_PREFIX)


@pytest.fixture(scope="session")
def role_passwords() -> dict[str, str]:
    """Set a random password for every database role, as ``cw init`` would; return them by variable."""
    values = {variable: secrets.token_urlsafe(24) for variable in PASSWORD_VARIABLES.values()}
    os.environ.update(values)
    return values


@pytest.fixture(scope="session")
def pg_database(role_prefix: str) -> Iterator[Callable[[str], str]]:
    """Return a factory: ``pg_database("label")`` creates an empty PostgreSQL database, returns its URL."""
    yield from _database_factory(PG_SERVER_URL)


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[Callable[[str], str]]:
    """Return a factory creating empty MariaDB/MySQL databases, dropped after the session."""
    yield from _database_factory(MYSQL_SERVER_URL)


@pytest.fixture(scope="session")
def olist_dir() -> Path:
    """Folder of the real Olist slice; tests that need it fail loudly when it is absent."""
    path = SHARED_DATA / "olist"
    assert path.is_dir(), f"real Olist data not found at {path}: tests on real input need it"
    return path


@pytest.fixture(scope="session")
def customer_personality_file() -> Path:
    path = SHARED_DATA / "customer-personality" / "marketing_campaign.csv"
    assert path.is_file(), f"real customer-personality data not found at {path}"
    return path


@pytest.fixture(autouse=True)
def protection_secrets(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Give every test its own pseudonymization key and vault key ring, as ``cw init`` would."""
    values = {"CW_PSEUDONYM_KEY": secrets.token_hex(32), "CW_VAULT_KEYS": new_key_entry("test1")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture()
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Set a fresh random pseudonymization key for the test."""
    key = secrets.token_hex(32)
    monkeypatch.setenv("CW_PSEUDONYM_KEY", key)
    return key


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


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory, pg_database, airflow_environment, dbt_manifest, olist_dir):
    """Run the customer_warehouse DAG once on a simulated shop (1,000 customers) and the real Olist slice.

    Shared by the end-to-end and dashboard tests, so the dashboards draw real pipeline output.
    The shop also holds the planted accounts of ``tests.planted``, which leak tests look for.
    """
    home = tmp_path_factory.mktemp("e2e")
    cfg = make_settings(home, warehouse_url=pg_database("e2e_wh"), shop_url=pg_database("e2e_shop"))
    simulator.simulate(
        cfg.shop_url,
        customers=1000,
        seed=11,
        events_dir=cfg.landing_dir / "events",
        truth_dir=cfg.truth_dir,
        progress=False,
    )
    plant(cfg.shop_url, cfg.landing_dir / "events")
    shutil.copytree(olist_dir, cfg.landing_dir / "olist" / "slice-a", ignore=shutil.ignore_patterns("*.md"))
    # A later seller export with one row that has no key, as marketplaces send them: it
    # must be quarantined while the rest of the run goes on.
    late = cfg.landing_dir / "olist" / "late" / "olist_sellers_dataset.csv"
    late.parent.mkdir(parents=True)
    late.write_text(
        "seller_id,seller_zip_code_prefix,seller_city,seller_state\n"
        "0000seller-late-a,01310,sao paulo,SP\n"
        ",20040,rio de janeiro,RJ\n"
        "0000seller-late-b,30130,belo horizonte,MG\n"
    )
    key = secrets.token_hex(32)
    # A business rule stricter than the default: at least 99% of live shop accounts with a
    # valid phone. The simulated fake sign-ups break it, so the run records a warning
    # (which must not block publication) and the Data quality dashboard has a failure to show.
    env = {
        **airflow_environment(cfg),
        "CW_PSEUDONYM_KEY": key,
        "CW_VAULT_KEYS": new_key_entry("e2e1"),
        "CW_QUALITY_MIN_VALID_PHONE": "0.99",
    }
    first = run_dag(env, "2026-12-04T02:00:00+00:00")
    failed = {t: state for t, state in first["report"].get("tasks", {}).items() if state != "success"}
    log_file = home / "first-run.log"
    log_file.write_text(first["stderr"] + first["stdout"])
    assert first["returncode"] == 0, (
        f"tasks not successful: {failed}; full log in {log_file}\n" + first["stderr"][-3000:]
    )
    eng = sa.create_engine(cfg.warehouse_url)
    yield {"cfg": cfg, "env": env, "key": key, "engine": eng, "olist_dir": olist_dir, "first": first}
    eng.dispose()


@pytest.fixture(scope="session")
def access_applied(pipeline_run: dict, role_passwords: dict[str, str]) -> Settings:
    """Apply the access policy to the warehouse and vault of the pipeline run; return its settings."""
    cfg = replace(pipeline_run["cfg"], role_prefix=TEST_ROLE_PREFIX, admin_url=PG_SERVER_URL)
    apply_access(cfg)
    return cfg
