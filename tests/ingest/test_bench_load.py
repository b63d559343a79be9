"""The load benchmark runs end to end on a small file; its times are printed, never asserted."""

from __future__ import annotations

import csv

from bench.bench_load import generate_order_items, run


def test_generated_file_has_olist_layout(tmp_path):
    path = tmp_path / "olist_order_items_dataset.csv"
    generate_order_items(path, 50)
    with path.open(newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == [
        "order_id",
        "order_item_id",
        "product_id",
        "seller_id",
        "shipping_limit_date",
        "price",
        "freight_value",
    ]
    assert len(rows) == 51
    assert len(rows[1][0]) == 32


def test_bench_runs_both_loads(tmp_path, pg_database):
    plain, ours = run(500, 1, tmp_path, pg_database("bench"))
    assert [timing.rows for timing in plain] == [500]
    assert [timing.rows for timing in ours] == [500]
