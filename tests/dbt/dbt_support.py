"""Helpers for the dbt project tests: run the real dbt against a throwaway warehouse.

dbt runs as a subprocess with ``Settings.dbt_env()``, as the Airflow tasks run it, so the
pseudonym key reaches PostgreSQL only through ``PGOPTIONS``. Each run writes its own
target and log folders, so tests never share dbt's partial-parse state or touch the
project's ``target/``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import psycopg2.extras

from customer_warehouse.config import Settings
from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.ingest.events import EVENT_IDENTIFIER_KEYS
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.split import SHOP_SPLITS
from tests.dbt.raw_cases import OLIST_TABLES, SHOP_EVENTS, SHOP_TABLES

log = logging.getLogger(__name__)

DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")


@dataclass(frozen=True)
class DbtRun:
    """Paths of one dbt invocation's output."""

    target_path: Path
    log_path: Path


def run_dbt(settings: Settings, args: list[str], run: DbtRun, extra_env: dict[str, str] | None = None):
    """Run ``dbt <args>`` in the project folder and return the completed process."""
    env = {**os.environ, **settings.dbt_env(), **(extra_env or {})}
    command = [
        str(DBT_EXECUTABLE),
        *args,
        "--project-dir",
        str(settings.dbt_project_dir),
        "--target-path",
        str(run.target_path),
        "--log-path",
        str(run.log_path),
    ]
    log.info("running dbt %s (target %s)", " ".join(args), run.target_path)
    return subprocess.run(
        command,
        cwd=settings.dbt_project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def dbt_failure_message(result: subprocess.CompletedProcess) -> str:
    """Return the end of dbt's output, enough to see which node failed."""
    return f"dbt exited with {result.returncode}:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"


def connect(url: str, pseudonym_key: str | None = None):
    """Open a psycopg2 connection; with a key, the session can call pseudonymize's SQL."""
    options = f"-c cw.pseudonym_key={pseudonym_key}" if pseudonym_key else None
    conn = psycopg2.connect(psycopg2_dsn(url), options=options)
    conn.autocommit = True
    return conn


def insert_raw(conn, table: str, rows: list[dict], source: str, loaded_at: datetime | None = None) -> None:
    """Insert hand-made rows into ``raw.<table>`` with literal lineage values.

    A row may set its own ``_loaded_at`` or ``_batch_id`` to model a later load.
    """
    loaded_at = loaded_at or datetime(2024, 6, 1, tzinfo=UTC)
    records = []
    for number, row in enumerate(rows, start=1):
        lineage = {
            "_batch_id": f"test-{table}",
            "_source": source,
            "_source_object": table,
            "_source_row": number,
            "_loaded_at": loaded_at,
        }
        records.append({**lineage, **row})
    columns = list(records[0])
    for record in records:
        assert set(record) == set(columns), f"rows of raw.{table} must all have the same columns"
    values = [tuple(record[column] for column in columns) for record in records]
    column_list = ", ".join(columns)
    with conn.cursor() as cursor:
        psycopg2.extras.execute_values(cursor, f"insert into raw.{table} ({column_list}) values %s", values)


def as_raw_rows(table: str, rows: list[dict], keys: Pseudonymizer) -> list[dict]:
    """Return hand-made source rows as the extraction lands them in ``raw.<table>``.

    The identifiers of customers and addresses are split off by the extraction's own
    ``pii.split`` (the vault copy is dropped here), and events get their keys as the
    event loader computes them. Lineage columns (``_loaded_at``...) pass through.
    """
    splitter = SHOP_SPLITS.get(table.removeprefix("shop_"))
    converted = []
    for row in rows:
        lineage = {name: value for name, value in row.items() if name.startswith("_")}
        data = {name: value for name, value in row.items() if not name.startswith("_")}
        if splitter is not None:
            split = splitter.split(data, keys)
            kept = {name: value for name, value in data.items() if name not in splitter.identifiers}
            data = {**kept, **{name: split.facts[name] for name in splitter.facts}}
        elif table == "shop_events":
            for name, (namespace, key_column) in EVENT_IDENTIFIER_KEYS.items():
                data[key_column] = keys.key(namespace, data.pop(name))
        converted.append({**data, **lineage})
    return converted


def load_raw_cases(conn, keys: Pseudonymizer) -> None:
    """Land every hand-made row of ``tests.dbt.raw_cases`` in raw, as the loaders would."""
    for table, rows in SHOP_TABLES.items():
        insert_raw(conn, table, as_raw_rows(table, rows, keys), source="shop")
    insert_raw(conn, "shop_events", as_raw_rows("shop_events", SHOP_EVENTS, keys), source="events")
    for table, rows in OLIST_TABLES.items():
        insert_raw(conn, table, rows, source="olist")


def fetch_all(conn, sql: str, params: tuple | dict | None = None) -> list[tuple]:
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_one_value(conn, sql: str, params: tuple | dict | None = None):
    rows = fetch_all(conn, sql, params)
    assert len(rows) == 1, f"expected one row from {sql!r}, got {len(rows)}"
    return rows[0][0]


def pseudonymize_in_sql(conn, value: str) -> str:
    """Return the key the pseudonymize macro gives ``value``, computed by the database."""
    return fetch_one_value(
        conn,
        "select encode(hmac(convert_to(%s, 'UTF8'),"
        " convert_to(current_setting('cw.pseudonym_key'), 'UTF8'), 'sha256'), 'hex')",
        (value,),
    )
