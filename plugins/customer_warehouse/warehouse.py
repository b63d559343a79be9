"""Warehouse bootstrap: schemas and tables the loaders and dbt rely on."""

from __future__ import annotations

import logging
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse.db import engine, ensure_database

log = logging.getLogger(__name__)

SQL_FILES = ("001_audit.sql", "002_raw.sql", "030_backup.sql")


def bootstrap(url: str) -> Engine:
    """Create the warehouse database and its ``audit`` and ``raw`` schemas if missing.

    Safe to run before every DAG run: every statement is idempotent.
    """
    ensure_database(url)
    eng = engine(url)
    with eng.begin() as conn:
        conn.execute(sa.text("create extension if not exists pgcrypto"))
        for name in SQL_FILES:
            sql = resources.files("customer_warehouse").joinpath("sql", name).read_text()
            conn.exec_driver_sql(sql)
    log.info(
        "warehouse schemas audit and raw are in place on %s", eng.url.render_as_string(hide_password=True)
    )
    return eng
