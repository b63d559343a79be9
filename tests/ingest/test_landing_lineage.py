"""Lineage columns of landed CSV rows: filled by column defaults while a file loads, never after."""

from __future__ import annotations

import logging

import psycopg2
import pytest

from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.ingest import copy_stream, csv_load, load_landing
from tests.ingest.helpers import by_object, items_csv, items_row, land, query

ITEMS = "olist/olist_order_items_dataset.csv"
LINEAGE_DEFAULTS = (
    "select column_name, column_default from information_schema.columns"
    " where table_schema = 'raw' and table_name = 'olist_order_items'"
    " and column_name in ('_batch_id', '_source', '_source_object') order by column_name"
)


def _lineage(url: str) -> list[tuple]:
    return query(url, "select distinct _batch_id, _source, _source_object from raw.olist_order_items")


def _assert_no_lineage_defaults(url: str) -> None:
    assert query(url, LINEAGE_DEFAULTS) == [
        ("_batch_id", None),
        ("_source", None),
        ("_source_object", None),
    ]


def test_lineage_filled_and_defaults_dropped(settings):
    land(settings, ITEMS, items_csv([items_row(i) for i in range(1, 101)]))
    result = by_object(load_landing(settings, "run1"), ITEMS)
    assert result.rows_loaded == 100
    assert _lineage(settings.warehouse_url) == [(result.batch_id, "olist", ITEMS)]
    assert query(
        settings.warehouse_url, "select min(_source_row), max(_source_row) from raw.olist_order_items"
    ) == [(1, 100)]
    _assert_no_lineage_defaults(settings.warehouse_url)


def test_locked_table_gets_lineage_in_rows(settings, monkeypatch, caplog):
    """A reader holding the table makes the loader send the lineage with every row instead."""
    monkeypatch.setattr(copy_stream, "DEFAULTS_LOCK_TIMEOUT", "200ms")
    land(settings, ITEMS, items_csv([items_row(i) for i in range(1, 51)]))
    reader = psycopg2.connect(psycopg2_dsn(settings.warehouse_url))
    try:
        with reader.cursor() as cur:
            cur.execute("select count(*) from raw.olist_order_items")
        with caplog.at_level(logging.WARNING, logger=copy_stream.__name__):
            result = by_object(load_landing(settings, "run1"), ITEMS)
    finally:
        reader.close()
    assert result.status == "loaded", result.summary()
    assert result.rows_loaded == 50
    assert _lineage(settings.warehouse_url) == [(result.batch_id, "olist", ITEMS)]
    assert "raw.olist_order_items is locked" in caplog.text
    _assert_no_lineage_defaults(settings.warehouse_url)


def test_failed_load_leaves_no_defaults(settings, monkeypatch):
    land(settings, ITEMS, items_csv([items_row(i) for i in range(1, 11)]))

    def crash(self, *args):
        raise OSError("simulated crash while loading")

    monkeypatch.setattr(csv_load.CsvFileLoad, "_serialize", crash)
    assert by_object(load_landing(settings, "run1"), ITEMS).status == "failed"
    _assert_no_lineage_defaults(settings.warehouse_url)


@pytest.mark.parametrize("quoted", [False, True])
def test_lineage_with_and_without_quotes(settings, quoted):
    rows = [items_row(i) for i in range(1, 4)]
    if quoted:
        rows[1] = rows[1].replace("p0002", '"p0002"')
    land(settings, ITEMS, items_csv(rows))
    result = by_object(load_landing(settings, "run1"), ITEMS)
    assert result.rows_loaded == 3
    assert _lineage(settings.warehouse_url) == [(result.batch_id, "olist", ITEMS)]
