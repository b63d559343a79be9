"""Development-only loader of the Olist CSV slice into raw, for the dbt tests.

It reads every file with pandas as text and copies it into its ``raw.olist_*`` table
with literal lineage values. It does no validation or quarantine: the product's loader
does that.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pandas as pd

log = logging.getLogger(__name__)

# raw table: CSV file name
OLIST_FILES = {
    "olist_customers": "olist_customers_dataset.csv",
    "olist_orders": "olist_orders_dataset.csv",
    "olist_order_items": "olist_order_items_dataset.csv",
    "olist_order_payments": "olist_order_payments_dataset.csv",
    "olist_order_reviews": "olist_order_reviews_dataset.csv",
    "olist_products": "olist_products_dataset.csv",
    "olist_sellers": "olist_sellers_dataset.csv",
    "olist_product_category_name_translation": "product_category_name_translation.csv",
    "olist_geolocation": "olist_geolocation_dataset.csv",
}

# Integer columns the export writes as floats (57.0); COPY into integer needs 57.
FLOAT_WRITTEN_INTEGERS = {
    "olist_products": (
        "product_name_lenght",
        "product_description_lenght",
        "product_photos_qty",
        "product_weight_g",
        "product_length_cm",
        "product_height_cm",
        "product_width_cm",
    ),
}


def read_olist_file(path: Path, table: str) -> pd.DataFrame:
    """Read one export as text columns, empty fields as missing."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = frame.replace("", None)
    for column in FLOAT_WRITTEN_INTEGERS.get(table, ()):
        frame[column] = pd.to_numeric(frame[column]).astype("Int64").astype("string")
    return frame


def load_olist_dir(conn, olist_dir: Path) -> dict[str, int]:
    """Copy every Olist file of ``olist_dir`` into raw; return rows loaded per table."""
    counts = {}
    for table, file_name in OLIST_FILES.items():
        path = olist_dir / file_name
        frame = read_olist_file(path, table)
        frame["_batch_id"] = f"test-{table}"
        frame["_source"] = "olist"
        frame["_source_object"] = str(path)
        frame["_source_row"] = range(1, len(frame) + 1)
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False, na_rep="\\N")
        buffer.seek(0)
        columns = ", ".join(frame.columns)
        with conn.cursor() as cursor:
            cursor.copy_expert(
                f"copy raw.{table} ({columns}) from stdin with (format csv, null '\\N')", buffer
            )
        counts[table] = len(frame)
        log.info("loaded %s rows from %s into raw.%s", len(frame), file_name, table)
    return counts
