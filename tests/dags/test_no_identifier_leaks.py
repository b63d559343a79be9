"""No identifier leaks by a side door: after a whole DAG run, planted identifiers are only in the vault.

The shared pipeline run plants two accounts with distinctive names, emails, phones, birth
dates, street lines, device ids and IPs (``tests.planted``). These checks search every
table of the warehouse and of Airflow's metadata database, every file the run wrote
(task logs, Data Docs, dbt artifacts) and the run's own output, and find none of them.
The vault holds them, but only encrypted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from customer_warehouse.config import REPO_ROOT
from customer_warehouse.pii.crypto import KeyRing
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.vault import read_identities
from tests.planted import PLANTED_CUSTOMERS, PLANTED_VALUES

pytestmark = pytest.mark.slow

NEEDLES = tuple(value.lower() for value in PLANTED_VALUES)


def _tables(conn: sa.Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        sa.text(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema not in ('pg_catalog', 'information_schema')"
            " and table_type in ('BASE TABLE', 'VIEW')"
        )
    )
    return [(schema, name) for schema, name in rows]


def _leaks_in_database(url: str) -> dict[str, list[str]]:
    """Return, per table, the planted values found in any column of any row (row as text)."""
    engine = sa.create_engine(url)
    found: dict[str, list[str]] = {}
    try:
        with engine.connect() as conn:
            for schema, table in _tables(conn):
                hits = conn.scalars(
                    sa.text(
                        f'select distinct needle from "{schema}"."{table}" t'
                        " cross join unnest(cast(:needles as text[])) needle"
                        " where position(needle in lower(t::text)) > 0"
                    ),
                    {"needles": list(NEEDLES)},
                ).all()
                if hits:
                    found[f"{schema}.{table}"] = sorted(hits)
    finally:
        engine.dispose()
    return found


def _leaks_in_files(folders: list[Path]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if not path.is_file() or "landing" in path.relative_to(folder).parts:
                continue
            text = path.read_bytes().decode("utf-8", errors="replace").lower()
            hits = [needle for needle in NEEDLES if needle in text]
            if hits:
                found[str(path)] = hits
    return found


@pytest.fixture(scope="module")
def pipeline(pipeline_run):
    return pipeline_run


def test_planted_accounts_reached_marts(pipeline):
    # The search below proves something only if the planted accounts went through the run.
    keys = Pseudonymizer(pipeline["key"])
    with pipeline["engine"].connect() as conn:
        published = conn.scalar(
            sa.text("select count(*) from marts.dim_customers where customer_key = any(:keys)"),
            {"keys": [keys.customer_key("shop", c["customer_id"]) for c in PLANTED_CUSTOMERS]},
        )
    assert published == len(PLANTED_CUSTOMERS)


def test_vault_holds_planted_identities_encrypted(pipeline):
    cfg, env = pipeline["cfg"], pipeline["env"]
    keys = Pseudonymizer(pipeline["key"])
    wanted = {keys.customer_key("shop", c["customer_id"]): c for c in PLANTED_CUSTOMERS}
    ring = KeyRing.parse(env["CW_VAULT_KEYS"])
    stored = dict(
        (key, identity)
        for key, identity, _ in read_identities(cfg.vault_url, "pii.customer_identities", ring, list(wanted))
    )
    assert {key: stored[key]["full_name"] for key in stored} == {k: c["full_name"] for k, c in wanted.items()}
    assert _leaks_in_database(cfg.vault_url) == {}


def test_no_planted_value_in_warehouse(pipeline):
    assert _leaks_in_database(pipeline["cfg"].warehouse_url) == {}


def test_no_planted_value_in_airflow_metadata(pipeline):
    assert _leaks_in_database(pipeline["env"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) == {}


def test_no_planted_value_in_files(pipeline):
    cfg = pipeline["cfg"]
    dbt_dir = REPO_ROOT / "dbt_project"
    airflow_home = Path(pipeline["env"]["AIRFLOW_HOME"])
    folders = [cfg.home, cfg.data_docs_dir, airflow_home, dbt_dir / "target", dbt_dir / "logs"]
    assert cfg.data_docs_dir.is_dir()
    assert _leaks_in_files([folder for folder in folders if folder.is_dir()]) == {}


def test_no_planted_value_in_run_output(pipeline):
    output = (pipeline["first"]["stdout"] + pipeline["first"]["stderr"]).lower()
    assert [needle for needle in NEEDLES if needle in output] == []


def test_planted_bad_line_quarantined_masked(pipeline):
    with pipeline["engine"].connect() as conn:
        records = conn.scalar(
            sa.text("select string_agg(record::text, ' ') from audit.quarantine where source = 'events'")
        )
    assert records is not None
    assert "***" in records
