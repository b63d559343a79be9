"""Warehouse bootstrap is idempotent and the load bookkeeping enforces reconciliation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from customer_warehouse.warehouse import bootstrap


@pytest.fixture()
def warehouse(pg_database):
    eng = bootstrap(pg_database("bootstrap"))
    yield eng
    eng.dispose()


def test_bootstrap_twice_keeps_rows(warehouse):
    with warehouse.begin() as conn:
        conn.execute(
            sa.text(
                "insert into audit.load_batches (batch_id, source, source_object, status) "
                "values ('b1', 'olist', 'f.csv', 'running')"
            )
        )
    bootstrap(warehouse.url.render_as_string(hide_password=False)).dispose()
    with warehouse.connect() as conn:
        assert conn.scalar(sa.text("select count(*) from audit.load_batches")) == 1


def test_bootstrap_creates_raw_tables(warehouse):
    tables = set(sa.inspect(warehouse).get_table_names(schema="raw"))
    assert {"shop_customers", "shop_orders", "shop_events", "olist_orders", "olist_geolocation"} <= tables


def test_batch_rows_must_reconcile(warehouse):
    with pytest.raises(IntegrityError, match="load_batches_rows_reconcile"):
        with warehouse.begin() as conn:
            conn.execute(
                sa.text(
                    "insert into audit.load_batches "
                    "(batch_id, source, source_object, status, rows_read, rows_loaded, rows_quarantined) "
                    "values ('b2', 'olist', 'f.csv', 'loaded', 10, 8, 1)"
                )
            )
