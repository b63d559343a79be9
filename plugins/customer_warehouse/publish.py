"""Publish candidate marts: copy ``marts_build`` into the ``marts`` schema analysts read.

dbt builds the marts into ``marts_build`` and the quality gate validates them there. Only
then does this step replace the published tables, all in one transaction, so analysts
see either yesterday's marts or today's, never a mix or a failed build. Copying rows
(rather than renaming schemas) keeps the published tables' identity, so views, grants
and dashboard datasets that point at them stay valid.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import sqlalchemy as sa

from customer_warehouse.db import engine

log = logging.getLogger(__name__)

BUILD_SCHEMA = "marts_build"
PUBLISHED_SCHEMA = "marts"


@dataclass(frozen=True)
class PublishedTable:
    table: str
    rows: int


def _columns(conn: sa.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        sa.text(
            "select column_name, format_type(a.atttypid, a.atttypmod) "
            "from information_schema.columns c "
            "join pg_attribute a on a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass "
            " and a.attname = c.column_name "
            "where c.table_schema = :s and c.table_name = :t order by c.ordinal_position"
        ),
        {"s": schema, "t": table},
    )
    return [(name, data_type) for name, data_type in rows]


def candidate_tables(conn: sa.Connection) -> list[str]:
    rows = conn.execute(
        sa.text(
            "select table_name from information_schema.tables "
            "where table_schema = :s and table_type = 'BASE TABLE' order by table_name"
        ),
        {"s": BUILD_SCHEMA},
    )
    return [name for (name,) in rows]


def publish_marts(warehouse_url: str, run_id: str | None = None) -> list[PublishedTable]:
    """Replace every table of ``marts`` with its candidate in ``marts_build``, atomically.

    A published table whose columns differ from its candidate is recreated; the others
    keep their identity and are truncated and refilled. Raises ``RuntimeError`` when
    there is no candidate mart at all, since publishing nothing would empty the marts.
    """
    started = time.monotonic()
    eng = engine(warehouse_url)
    published: list[PublishedTable] = []
    with eng.begin() as conn:
        tables = candidate_tables(conn)
        if not tables:
            raise RuntimeError(
                f"no candidate marts in schema {BUILD_SCHEMA}: run dbt build before publishing"
            )
        conn.execute(sa.text(f"create schema if not exists {PUBLISHED_SCHEMA}"))
        for table in tables:
            published.append(_publish_table(conn, table))
        conn.execute(
            sa.text(
                "insert into audit.mart_publications (run_id, table_name, rows_published) "
                "values (:run_id, :table, :rows)"
            ),
            [{"run_id": run_id, "table": f"{PUBLISHED_SCHEMA}.{p.table}", "rows": p.rows} for p in published],
        )
    eng.dispose()
    log.info(
        "published %d mart tables (%s rows) into schema %s (run %s, %.1f s)",
        len(published),
        f"{sum(p.rows for p in published):,}",
        PUBLISHED_SCHEMA,
        run_id,
        time.monotonic() - started,
    )
    return published


def _publish_table(conn: sa.Connection, table: str) -> PublishedTable:
    source = f'{BUILD_SCHEMA}."{table}"'
    target = f'{PUBLISHED_SCHEMA}."{table}"'
    existing = _columns(conn, PUBLISHED_SCHEMA, table)
    if existing and existing != _columns(conn, BUILD_SCHEMA, table):
        log.info("columns of %s changed: recreating it", target)
        conn.execute(sa.text(f"drop table {target} cascade"))
        existing = []
    if not existing:
        conn.execute(sa.text(f"create table {target} (like {source} including all)"))
    else:
        conn.execute(sa.text(f"truncate table {target}"))
    rows = conn.execute(sa.text(f"insert into {target} select * from {source}")).rowcount
    log.info("published %s rows into %s", f"{rows:,}", target)
    return PublishedTable(table=table, rows=rows)
