"""Extraction and loading into the warehouse's ``raw`` schema, with quarantine and bookkeeping.

- ``extract_shop``: incremental extraction of the shop database by ``updated_at`` watermark.
- ``load_landing``: loads every new Olist CSV and events JSON-lines file in the landing folder.
- ``main``: the command line, ``python -m customer_warehouse.ingest extract|load``.
"""

from customer_warehouse.ingest.batches import BatchResult
from customer_warehouse.ingest.cli import main
from customer_warehouse.ingest.landing import load_landing
from customer_warehouse.ingest.shop import extract_shop

__all__ = ["BatchResult", "extract_shop", "load_landing", "main"]
