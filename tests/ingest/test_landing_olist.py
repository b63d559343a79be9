"""load_landing on the real Olist slice: complete, reconciled, loaded once, order-independent."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from customer_warehouse.ingest import load_landing
from tests.ingest.helpers import assert_reconciles, by_object, land, query, scalar

# CSV record counts of the slice's files, as documented with the data.
RECORDS = {
    "olist_customers_dataset.csv": ("raw.olist_customers", 15_000),
    "olist_orders_dataset.csv": ("raw.olist_orders", 15_000),
    "olist_order_items_dataset.csv": ("raw.olist_order_items", 17_071),
    "olist_order_payments_dataset.csv": ("raw.olist_order_payments", 15_733),
    "olist_order_reviews_dataset.csv": ("raw.olist_order_reviews", 14_944),
    "olist_products_dataset.csv": ("raw.olist_products", 9_255),
    "olist_sellers_dataset.csv": ("raw.olist_sellers", 1_904),
    "product_category_name_translation.csv": ("raw.olist_product_category_name_translation", 71),
    "olist_geolocation_dataset.csv": ("raw.olist_geolocation", 50_000),
}


def _copy_slice(olist_dir: Path, landing: Path) -> None:
    target = landing / "olist" / "2026-12-04"
    target.mkdir(parents=True)
    for name in RECORDS:
        shutil.copy(olist_dir / name, target / name)


def test_olist_slice_loads_every_record(settings, olist_dir):
    _copy_slice(olist_dir, settings.landing_dir)
    results = load_landing(settings, "run1")
    assert len(results) == len(RECORDS)
    for name, (table, records) in RECORDS.items():
        result = by_object(results, name)
        assert result.status == "loaded", result.summary()
        assert result.target_table == table
        assert result.rows_read == records, name
        assert result.rows_loaded == records, name
        assert result.rows_quarantined == 0, name
        assert scalar(settings.warehouse_url, f"select count(*) from {table}") == records, table
    assert scalar(settings.warehouse_url, "select count(*) from audit.quarantine") == 0


def test_olist_slice_second_load_is_skipped(settings, olist_dir):
    _copy_slice(olist_dir, settings.landing_dir)
    first = load_landing(settings, "run1")
    second = load_landing(settings, "run2")
    assert {result.status for result in second} == {"skipped"}
    for result in second:
        earlier = by_object(first, Path(result.source_object).name)
        assert earlier.batch_id in result.message
    assert scalar(settings.warehouse_url, "select count(*) from raw.olist_order_reviews") == 14_944
    assert scalar(settings.warehouse_url, "select count(*) from audit.file_manifest") == len(RECORDS)


def test_olist_reviews_keep_multiline_text(settings, olist_dir):
    _copy_slice(olist_dir, settings.landing_dir)
    load_landing(settings, "run1")
    url = settings.warehouse_url
    multiline = scalar(
        url, "select count(*) from raw.olist_order_reviews where review_comment_message ~ '[\\r\\n]'"
    )
    assert multiline == 570
    # Record numbers count records, not lines: the last record is number 14,944.
    assert scalar(url, "select max(_source_row) from raw.olist_order_reviews") == 14_944


def test_olist_lineage_and_text_zip_prefixes(settings, olist_dir):
    _copy_slice(olist_dir, settings.landing_dir)
    results = load_landing(settings, "run1")
    batch = by_object(results, "olist_customers_dataset.csv")
    rows = query(
        settings.warehouse_url,
        "select distinct _batch_id, _source, _source_object from raw.olist_customers",
    )
    assert rows == [(batch.batch_id, "olist", "olist/2026-12-04/olist_customers_dataset.csv")]
    short_zips = scalar(
        settings.warehouse_url,
        "select count(*) from raw.olist_customers where length(customer_zip_code_prefix) = 4",
    )
    assert short_zips == 3_655
    rows = query(settings.warehouse_url, "select min(_source_row), max(_source_row) from raw.olist_customers")
    assert rows == [(1, 15_000)]


def test_olist_products_float_integers(settings, olist_dir):
    _copy_slice(olist_dir, settings.landing_dir)
    load_landing(settings, "run1")
    value = scalar(
        settings.warehouse_url,
        "select product_name_lenght from raw.olist_products where product_id = :p",
        p="37cc742be07708b53a98702e77a21a02",
    )
    assert value == 57


def test_shuffled_file_loads_same_content(settings, olist_dir, tmp_path):
    lines = (olist_dir / "olist_order_payments_dataset.csv").read_text().splitlines(keepends=True)
    header, records = lines[0], lines[1:]
    random.Random(11).shuffle(records)
    land(settings, "olist/a/olist_order_payments_dataset.csv", "".join(lines))
    land(settings, "olist/b/olist_order_payments_dataset_shuffled.csv", header + "".join(records))
    results = load_landing(settings, "run1")
    for result in results:
        assert result.status == "loaded", result.summary()
        assert_reconciles(result)
    columns = "order_id, payment_sequential, payment_type, payment_installments, payment_value"
    original = f"select {columns} from raw.olist_order_payments where _source_object like 'olist/a/%'"
    shuffled = f"select {columns} from raw.olist_order_payments where _source_object like 'olist/b/%'"
    difference = scalar(
        settings.warehouse_url,
        f"select count(*) from (({original} except all {shuffled})"
        f" union all ({shuffled} except all {original})) d",
    )
    assert difference == 0
    assert scalar(settings.warehouse_url, "select count(*) from raw.olist_order_payments") == 2 * 15_733
