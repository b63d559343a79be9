"""Helpers for the loader tests: land files, build Olist-layout CSV text, query the warehouse."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from customer_warehouse.config import Settings
from customer_warehouse.ingest import BatchResult

CUSTOMERS_HEADER = "customer_id,customer_unique_id,customer_zip_code_prefix,customer_city,customer_state"
ITEMS_HEADER = "order_id,order_item_id,product_id,seller_id,shipping_limit_date,price,freight_value"
SELLERS_HEADER = "seller_id,seller_zip_code_prefix,seller_city,seller_state"


def land(settings: Settings, relative: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``content`` to ``relative`` under the landing folder, bytes as given."""
    path = settings.landing_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content if isinstance(content, bytes) else content.encode(encoding)
    path.write_bytes(data)
    return path


def customers_csv(count: int, start: int = 1, newline: str = "\n") -> str:
    rows = [CUSTOMERS_HEADER] + [
        f"c{i:04d},u{i:04d},{1000 + i},sao paulo,SP" for i in range(start, start + count)
    ]
    return newline.join(rows) + newline


def sellers_csv(count: int) -> str:
    rows = [SELLERS_HEADER] + [f"s{i:04d},{13000 + i},campinas,SP" for i in range(1, count + 1)]
    return "\n".join(rows) + "\n"


def items_row(i: int, price: str = "19.90", date: str = "2018-01-18 14:48:30") -> str:
    return f"o{i:04d},1,p{i:04d},s0001,{date},{price},7.50"


def items_csv(rows: list[str]) -> str:
    return "\n".join([ITEMS_HEADER, *rows]) + "\n"


def by_object(results: list[BatchResult], suffix: str) -> BatchResult:
    matches = [result for result in results if result.source_object.endswith(suffix)]
    assert len(matches) == 1, f"expected one batch for {suffix}, got {[r.source_object for r in results]}"
    return matches[0]


def query(url: str, sql: str, **params) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def scalar(url: str, sql: str, **params):
    return query(url, sql, **params)[0][0]


def quarantine_of(url: str, batch_id: str) -> list[tuple]:
    """Return (source_row, rule, column_name, reason, record) of a batch, in record order."""
    return query(
        url,
        "select source_row, rule, column_name, reason, record from audit.quarantine"
        " where batch_id = :b order by source_row",
        b=batch_id,
    )


def assert_reconciles(result: BatchResult) -> None:
    assert result.rows_read == result.rows_loaded + result.rows_quarantined, result
