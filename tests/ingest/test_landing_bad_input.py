"""load_landing on bad input: each case quarantines or rejects what it must and loads the rest.

Every case lands a good sellers file next to the bad one, to show that the other files
still load.
"""

from __future__ import annotations

import json

import pytest

from customer_warehouse.ingest import csv_load, load_landing
from customer_warehouse.ingest.landing import FUTURE_SLACK
from tests.ingest.helpers import (
    CUSTOMERS_HEADER,
    assert_reconciles,
    by_object,
    customers_csv,
    items_csv,
    items_row,
    land,
    quarantine_of,
    query,
    scalar,
    sellers_csv,
)

SELLERS = "olist/olist_sellers_dataset.csv"
ITEMS = "olist/olist_order_items_dataset.csv"
CUSTOMERS = "olist/olist_customers_dataset.csv"


def _load_with_sellers(settings, relative: str, content: str | bytes):
    land(settings, SELLERS, sellers_csv(3))
    land(settings, relative, content)
    results = load_landing(settings, "run1")
    sellers = by_object(results, SELLERS)
    assert sellers.status == "loaded", sellers.summary()
    assert sellers.rows_loaded == 3
    for result in results:
        assert_reconciles(result)
    return by_object(results, relative)


def _assert_names_file_row_rule(result, record: int, rule: str) -> None:
    assert result.source_object in result.message
    assert f"record {record}" in result.message
    assert f"rule {rule}" in result.message


def test_missing_required_column_rejects_file(settings):
    header = "customer_id,customer_zip_code_prefix,customer_city,customer_state"
    content = header + "\n" + "\n".join(f"c{i},100{i},recife,PE" for i in range(1, 5)) + "\n"
    result = _load_with_sellers(settings, CUSTOMERS, content)
    assert result.status == "rejected"
    assert result.rows_read == 4
    assert result.rows_quarantined == 4
    assert result.rows_loaded == 0
    rows = quarantine_of(settings.warehouse_url, result.batch_id)
    assert [row[0] for row in rows] == [1, 2, 3, 4]
    assert {row[1] for row in rows} == {"required_column"}
    assert rows[0][2] == "customer_unique_id"
    assert "customer_unique_id" in rows[0][3]
    _assert_names_file_row_rule(result, 1, "required_column")
    assert scalar(settings.warehouse_url, "select count(*) from raw.olist_customers") == 0


def test_missing_optional_column_loads_nulls(settings):
    header = "customer_id,customer_unique_id,customer_zip_code_prefix,customer_state"
    content = header + "\nc1,u1,1001,PE\nc2,u2,1002,SP\n"
    result = _load_with_sellers(settings, CUSTOMERS, content)
    assert result.status == "loaded"
    assert result.rows_loaded == 2
    assert "customer_city" in result.message
    cities = query(settings.warehouse_url, "select customer_city from raw.olist_customers")
    assert cities == [(None,), (None,)]


def test_extra_column_kept_in_extra(settings):
    content = CUSTOMERS_HEADER + ',loyalty_tier\nc1,u1,1001,recife,PE,"gold, ""vip"""\nc2,u2,1002,natal,RN,\n'
    result = _load_with_sellers(settings, CUSTOMERS, content)
    assert result.status == "loaded"
    assert "loyalty_tier" in result.message
    rows = query(settings.warehouse_url, "select customer_id, _extra from raw.olist_customers order by 1")
    assert rows == [("c1", {"loyalty_tier": 'gold, "vip"'}), ("c2", {"loyalty_tier": None})]


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters_are_sniffed(settings, delimiter):
    content = customers_csv(5).replace(",", delimiter)
    result = _load_with_sellers(settings, CUSTOMERS, content)
    assert result.status == "loaded"
    assert result.rows_loaded == 5
    assert (
        scalar(settings.warehouse_url, "select customer_city from raw.olist_customers limit 1") == "sao paulo"
    )


def test_utf8_bom_is_skipped(settings):
    content = "\ufeff" + customers_csv(3)
    result = _load_with_sellers(settings, CUSTOMERS, content)
    assert result.status == "loaded"
    assert scalar(settings.warehouse_url, "select min(customer_id) from raw.olist_customers") == "c0001"


def test_gbk_chinese_text_is_decoded(settings):
    content = (
        CUSTOMERS_HEADER + "\n" + "\n".join(f"c{i},u{i},{i},北京市朝阳区,BJ" for i in range(1, 30)) + "\n"
    )
    result = _load_with_sellers(settings, CUSTOMERS, content.encode("gbk"))
    assert result.status == "loaded"
    assert result.rows_loaded == 29
    cities = query(settings.warehouse_url, "select distinct customer_city from raw.olist_customers")
    assert cities == [("北京市朝阳区",)]


def test_cp1252_text_is_decoded(settings):
    content = (
        CUSTOMERS_HEADER + "\n" + "\n".join(f"c{i},u{i},{i},são paulo – açaí,SP" for i in range(1, 30)) + "\n"
    )
    result = _load_with_sellers(settings, CUSTOMERS, content.encode("cp1252"))
    assert result.status == "loaded"
    cities = query(settings.warehouse_url, "select distinct customer_city from raw.olist_customers")
    assert cities == [("são paulo – açaí",)]


def test_crlf_line_endings(settings):
    result = _load_with_sellers(settings, CUSTOMERS, customers_csv(4, newline="\r\n"))
    assert result.status == "loaded"
    assert result.rows_loaded == 4
    assert (
        scalar(
            settings.warehouse_url, "select count(*) from raw.olist_customers where customer_state ~ '\\r'"
        )
        == 0
    )


def test_quoted_newlines_keep_record_numbers(settings):
    header = "review_id,order_id,review_score,review_comment_title,review_comment_message"
    header += ",review_creation_date,review_answer_timestamp"
    rows = [
        'r1,o1,5,,"great\r\nproduct",2018-01-01 00:00:00,2018-01-02 10:00:00',
        'r2,o2,4,"ok","line one\nline two\nline three",2018-01-01 00:00:00,',
        "r3,o3,x,,,2018-01-01 00:00:00,",
    ]
    result = _load_with_sellers(
        settings, "olist/olist_order_reviews_dataset.csv", header + "\n" + "\n".join(rows)
    )
    assert result.rows_loaded == 2
    messages = query(
        settings.warehouse_url, "select review_comment_message from raw.olist_order_reviews order by 1"
    )
    assert messages == [("great\r\nproduct",), ("line one\nline two\nline three",)]
    # Record 3 starts on line 8 of the file; its record number is still 3.
    assert [row[0] for row in quarantine_of(settings.warehouse_url, result.batch_id)] == [3]


@pytest.mark.parametrize("content", ["", CUSTOMERS_HEADER + "\n", "\n\n"])
def test_empty_file_is_empty_not_error(settings, content):
    result = _load_with_sellers(settings, CUSTOMERS, content)
    assert result.status == "empty"
    assert result.rows_read == 0


def test_same_file_twice_is_skipped(settings):
    land(settings, CUSTOMERS, customers_csv(5))
    land(settings, "olist/resent/olist_customers_dataset_copy.csv", customers_csv(5))
    results = load_landing(settings, "run1")
    first = by_object(results, CUSTOMERS)
    second = by_object(results, "olist_customers_dataset_copy.csv")
    assert first.status == "loaded"
    assert second.status == "skipped"
    assert first.batch_id in second.message
    assert scalar(settings.warehouse_url, "select count(*) from raw.olist_customers") == 5


def test_copy_under_new_path_leaves_no_rows(settings):
    # A new path loads while its checksum is computed; the duplicate is rolled back before commit.
    rows = [items_row(1), items_row(2, price="12.5O"), items_row(3)]
    land(settings, SELLERS, sellers_csv(3))
    land(settings, ITEMS, items_csv(rows))
    first = by_object(load_landing(settings, "run1"), ITEMS)
    land(settings, "olist/resent/olist_order_items_dataset_copy.csv", items_csv(rows))
    second = by_object(load_landing(settings, "run2"), "olist_order_items_dataset_copy.csv")
    assert first.status == "partial"
    assert second.status == "skipped"
    assert (second.rows_read, second.rows_loaded, second.rows_quarantined) == (0, 0, 0)
    assert first.batch_id in second.message
    assert scalar(settings.warehouse_url, "select count(*) from raw.olist_order_items") == 2
    assert quarantine_of(settings.warehouse_url, second.batch_id) == []
    batch_row = query(
        settings.warehouse_url,
        "select status, rows_read from audit.load_batches where batch_id = :batch_id",
        batch_id=second.batch_id,
    )
    assert batch_row == [("skipped", 0)]
    assert scalar(settings.warehouse_url, "select count(*) from audit.file_manifest") == 2


def test_same_path_same_size_new_content_loads(settings):
    land(settings, CUSTOMERS, customers_csv(5))
    first = by_object(load_landing(settings, "run1"), CUSTOMERS)
    # Ids of the same width give a file of the same size under the same path.
    land(settings, CUSTOMERS, customers_csv(5, start=6))
    second = by_object(load_landing(settings, "run2"), CUSTOMERS)
    assert first.status == "loaded"
    assert second.status == "loaded"
    assert second.rows_loaded == 5
    assert scalar(settings.warehouse_url, "select count(*) from raw.olist_customers") == 10


def test_non_numeric_price_is_quarantined(settings):
    rows = [items_row(1), items_row(2, price="12.5O"), items_row(3)]
    result = _load_with_sellers(settings, ITEMS, items_csv(rows))
    assert result.status == "partial"
    assert result.rows_loaded == 2
    assert result.rows_quarantined == 1
    _assert_names_file_row_rule(result, 2, "numeric")
    quarantined = quarantine_of(settings.warehouse_url, result.batch_id)
    assert len(quarantined) == 1
    source_row, rule, column, reason, record = quarantined[0]
    assert (source_row, rule, column) == (2, "numeric", "price")
    assert "'12.5O'" in reason
    assert record["order_id"] == "o0002"
    loaded = query(
        settings.warehouse_url, "select order_id, _source_row from raw.olist_order_items order by 1"
    )
    assert loaded == [("o0001", 1), ("o0003", 3)]


def test_future_date_is_quarantined(settings):
    header = "order_id,customer_id,order_status,order_purchase_timestamp"
    content = header + "\no1,c1,delivered,2018-01-01 10:00:00\no2,c2,delivered,2999-01-01 10:00:00\n"
    result = _load_with_sellers(settings, "olist/olist_orders_dataset.csv", content)
    assert result.rows_loaded == 1
    _assert_names_file_row_rule(result, 2, "not_future")
    rule = quarantine_of(settings.warehouse_url, result.batch_id)[0][1]
    assert rule == "not_future"


def test_future_date_within_slack_loads(settings):
    from datetime import UTC, datetime

    soon = (datetime.now(UTC) + FUTURE_SLACK / 2).strftime("%Y-%m-%d %H:%M:%S")
    header = "order_id,customer_id,order_status,order_purchase_timestamp"
    result = _load_with_sellers(
        settings, "olist/olist_orders_dataset.csv", f"{header}\no1,c1,created,{soon}\n"
    )
    assert result.status == "loaded"


def test_null_key_is_quarantined(settings):
    content = customers_csv(2) + ",u9,1009,recife,PE\n"
    result = _load_with_sellers(settings, CUSTOMERS, content)
    assert result.rows_loaded == 2
    _assert_names_file_row_rule(result, 3, "not_null")
    source_row, rule, column, _, _ = quarantine_of(settings.warehouse_url, result.batch_id)[0]
    assert (source_row, rule, column) == (3, "not_null", "customer_id")


def test_field_count_errors_are_quarantined(settings):
    rows = [items_row(1), items_row(2) + ",extra", items_row(3), "o0004,1,p0004", items_row(5)]
    result = _load_with_sellers(settings, ITEMS, items_csv(rows))
    assert result.rows_read == 5
    assert result.rows_loaded == 3
    _assert_names_file_row_rule(result, 2, "field_count")
    quarantined = quarantine_of(settings.warehouse_url, result.batch_id)
    assert [(row[0], row[1]) for row in quarantined] == [(2, "field_count"), (4, "field_count")]
    assert quarantined[1][4] == {"_line": "o0004,1,p0004"}
    loaded = query(
        settings.warehouse_url, "select order_id, _source_row from raw.olist_order_items order by 2"
    )
    assert loaded == [("o0001", 1), ("o0003", 3), ("o0005", 5)]


def test_field_count_numbers_across_blocks(settings, monkeypatch):
    monkeypatch.setattr(csv_load, "BLOCK_BYTES", 4096)
    rows = [items_row(i) if i % 97 else "short,row" for i in range(1, 3001)]
    result = _load_with_sellers(settings, ITEMS, items_csv(rows))
    assert result.rows_quarantined == 30
    mismatched = scalar(
        settings.warehouse_url,
        "select count(*) from raw.olist_order_items where order_id <> 'o' || lpad(_source_row::text, 4, '0')",
    )
    assert mismatched == 0


def test_unparseable_timestamp_is_quarantined(settings):
    rows = [items_row(1), items_row(2, date="18/01/2018 14:48"), items_row(3, date="2018-02-30 10:00:00")]
    result = _load_with_sellers(settings, ITEMS, items_csv(rows))
    assert result.rows_loaded == 1
    _assert_names_file_row_rule(result, 2, "timestamp")
    rules = [(row[0], row[1], row[2]) for row in quarantine_of(settings.warehouse_url, result.batch_id)]
    assert rules == [(2, "timestamp", "shipping_limit_date"), (3, "timestamp", "shipping_limit_date")]


def test_fractional_integer_is_quarantined(settings):
    header = "product_id,product_category_name,product_name_lenght,product_photos_qty"
    content = f"{header}\np1,casa,57.0,1.0\np2,casa,57.5,1.0\np3,,,\n"
    result = _load_with_sellers(settings, "olist/olist_products_dataset.csv", content)
    assert result.rows_loaded == 2
    _assert_names_file_row_rule(result, 2, "integer")
    rows = query(
        settings.warehouse_url, "select product_id, product_name_lenght from raw.olist_products order by 1"
    )
    assert rows == [("p1", 57), ("p3", None)]


def test_unknown_file_name_is_rejected(settings):
    result = _load_with_sellers(settings, "olist/customers_export.csv", customers_csv(2))
    assert result.status == "rejected"
    assert "customers_export.csv" in result.message
    assert "olist_customers_dataset*.csv" in result.message
    assert (
        scalar(
            settings.warehouse_url,
            "select count(*) from audit.file_manifest where file_name like 'customers%'",
        )
        == 0
    )


def test_failure_mid_file_leaves_nothing(settings, monkeypatch):
    monkeypatch.setattr(csv_load, "BLOCK_BYTES", 4096)
    land(settings, ITEMS, items_csv([items_row(i) for i in range(1, 2001)]))
    original = csv_load.CsvFileLoad._serialize
    calls = []

    def fail_on_third_block(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("simulated crash while loading")
        return original(self, *args)

    monkeypatch.setattr(csv_load.CsvFileLoad, "_serialize", fail_on_third_block)
    failed = by_object(load_landing(settings, "run1"), ITEMS)
    assert failed.status == "failed"
    assert "simulated crash" in failed.message
    assert scalar(settings.warehouse_url, "select count(*) from raw.olist_order_items") == 0
    assert scalar(settings.warehouse_url, "select count(*) from audit.file_manifest") == 0
    monkeypatch.setattr(csv_load.CsvFileLoad, "_serialize", original)
    retried = by_object(load_landing(settings, "run2"), ITEMS)
    assert retried.status == "loaded"
    assert scalar(settings.warehouse_url, "select count(*) from raw.olist_order_items") == 2000


def test_quarantine_record_is_json_of_row(settings):
    rows = [items_row(1, price="abc")]
    result = _load_with_sellers(settings, ITEMS, items_csv(rows))
    record = quarantine_of(settings.warehouse_url, result.batch_id)[0][4]
    assert json.dumps(record, sort_keys=True) == json.dumps(
        {
            "order_id": "o0001",
            "order_item_id": "1",
            "product_id": "p0001",
            "seller_id": "s0001",
            "shipping_limit_date": "2018-01-18 14:48:30",
            "price": "abc",
            "freight_value": "7.50",
        },
        sort_keys=True,
    )
