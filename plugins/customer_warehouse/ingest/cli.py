"""Command line: ``python -m customer_warehouse.ingest extract|load [--run-id ID]``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from customer_warehouse.config import Settings
from customer_warehouse.ingest.batches import FAILED
from customer_warehouse.ingest.landing import load_landing
from customer_warehouse.ingest.shop import extract_shop

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cw ingest",
        description="Load source data into the warehouse's raw schema, using settings from CW_* variables.",
    )
    parser.add_argument(
        "command",
        choices=("extract", "load"),
        help="extract: copy what changed in the shop database; load: load new files from the landing folder",
    )
    parser.add_argument("--run-id", help="run id recorded on every batch (default: manual__<UTC time>)")
    parser.add_argument("--table", action="append", help="shop table to extract (repeatable; default: all)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and print one line per batch; return 1 if any batch failed."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_id = args.run_id or f"manual__{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%S')}"
    settings = Settings.from_env()
    if args.command == "extract":
        results = extract_shop(settings, run_id, args.table)
    else:
        results = load_landing(settings, run_id)
    for result in results:
        print(result.summary())
    return 1 if any(result.status == FAILED for result in results) else 0
