"""Publish candidate marts: copy ``marts_build`` into the ``marts`` schema analysts read.

dbt builds the marts into ``marts_build`` and the quality gate validates them there. Only
then does this step replace the published tables, all in one transaction, so analysts
see either yesterday's marts or today's, never a mix or a failed build. Copying rows
(rather than renaming schemas) keeps the published tables' identity, so views, grants
and dashboard datasets that point at them stay valid.

A table whose columns changed is recreated with ``drop ... cascade``, which drops the
views on it. So the same transaction then recreates the views of the ``dashboards``
schema (``sql/dashboards/*.sql``, the only relations Superset's role may read) and
grants the reader roles of ``customer_warehouse.access`` their SELECT again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from importlib import resources

import psycopg2.errors
import sqlalchemy as sa

from customer_warehouse.access import grant_readers
from customer_warehouse.config import Settings
from customer_warehouse.db import engine

log = logging.getLogger(__name__)

BUILD_SCHEMA = "marts_build"
PUBLISHED_SCHEMA = "marts"
DASHBOARDS_SCHEMA = "dashboards"


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


def publish_marts(
    warehouse_url: str, run_id: str | None = None, role_prefix: str | None = None
) -> list[PublishedTable]:
    """Replace every table of ``marts`` with its candidate in ``marts_build``, atomically.

    A published table whose columns differ from its candidate is recreated; the others
    keep their identity and are truncated and refilled. The dashboards views and the
    reader roles' grants (prefix ``role_prefix``, default ``CW_ROLE_PREFIX``) are
    re-applied in the same transaction. Raises ``RuntimeError`` when there is no
    candidate mart at all, since publishing nothing would empty the marts.
    """
    if role_prefix is None:
        role_prefix = Settings.from_env().role_prefix
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
        views = recreate_dashboard_views(conn)
        _grant(conn, role_prefix, run_id)
    eng.dispose()
    log.info(
        "published %d mart tables (%s rows) into schema %s and %d views into %s (run %s, %.1f s)",
        len(published),
        f"{sum(p.rows for p in published):,}",
        PUBLISHED_SCHEMA,
        len(views),
        DASHBOARDS_SCHEMA,
        run_id,
        time.monotonic() - started,
    )
    return published


def dashboard_view_files() -> dict[str, str]:
    """Return the SQL of each dashboards view by view name (file ``sql/dashboards/<view>.sql``)."""
    folder = resources.files("customer_warehouse").joinpath("sql", DASHBOARDS_SCHEMA)
    return {
        entry.name.removesuffix(".sql"): entry.read_text()
        for entry in sorted(folder.iterdir(), key=lambda item: item.name)
        if entry.name.endswith(".sql")
    }


def recreate_dashboard_views(conn: sa.Connection) -> list[str]:
    """Drop and create every view of the ``dashboards`` schema; return the views created.

    A view whose mart or audit table does not exist yet is skipped with a warning, so a
    warehouse without some marts still publishes the others.
    """
    conn.execute(sa.text(f"create schema if not exists {DASHBOARDS_SCHEMA}"))
    created = []
    for view, statement in dashboard_view_files().items():
        try:
            with conn.begin_nested():
                conn.execute(sa.text(f'drop view if exists {DASHBOARDS_SCHEMA}."{view}"'))
                conn.exec_driver_sql(statement)
        except sa.exc.ProgrammingError as error:
            if not isinstance(error.orig, psycopg2.errors.UndefinedTable):
                raise
            log.warning(
                "view %s.%s not created, a table it reads is missing: %s",
                DASHBOARDS_SCHEMA,
                view,
                str(error.orig).splitlines()[0],
            )
            continue
        created.append(view)
    return created


def _grant(conn: sa.Connection, role_prefix: str, run_id: str | None) -> None:
    cursor = conn.connection.cursor()
    try:
        granted = grant_readers(cursor, role_prefix)
    finally:
        cursor.close()
    if not granted:
        log.warning(
            "no reader role with prefix %r exists, so no role may read the published marts "
            "(run %s): run `cw access apply`",
            role_prefix,
            run_id,
        )


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
