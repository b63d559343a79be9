"""Warehouse bootstrap: schemas and tables the loaders and dbt rely on."""

from __future__ import annotations

import logging
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse.db import engine, ensure_database

log = logging.getLogger(__name__)

SQL_FILES = ("001_audit.sql", "002_raw.sql", "010_identity.sql", "020_authenticity.sql", "030_backup.sql")


class LegacyLayoutError(RuntimeError):
    """The warehouse was created by a version that kept direct identifiers in ``raw``."""


def _reject_identifier_columns(conn: sa.Connection) -> None:
    """Stop when ``raw.shop_customers`` still has identifier columns from before the PII vault."""
    legacy = conn.scalar(
        sa.text(
            "select string_agg(column_name, ', ' order by column_name) from information_schema.columns"
            " where table_schema = 'raw'"
            " and table_name in ('shop_customers', 'shop_addresses', 'shop_events')"
            " and column_name in ('email', 'phone', 'full_name', 'line1', 'device_id', 'ip')"
        )
    )
    if legacy:
        raise LegacyLayoutError(
            f"the raw schema of {conn.engine.url.database} still has identifier columns ({legacy}) from a "
            "version without the PII vault; drop the raw.shop_* tables and their watermarks "
            "(delete from audit.watermarks where source = 'shop') so the next run extracts into the vault"
        )


def bootstrap(url: str) -> Engine:
    """Create the warehouse database and its schemas (audit, raw, identity, authenticity) if missing.

    Safe to run before every DAG run: every statement is idempotent.
    """
    ensure_database(url)
    eng = engine(url)
    with eng.begin() as conn:
        _reject_identifier_columns(conn)
        conn.execute(sa.text("create extension if not exists pgcrypto"))
        for name in SQL_FILES:
            sql = resources.files("customer_warehouse").joinpath("sql", name).read_text()
            conn.exec_driver_sql(sql)
    log.info(
        "warehouse schemas audit, raw, identity and authenticity are in place on %s",
        eng.url.render_as_string(hide_password=True),
    )
    return eng
