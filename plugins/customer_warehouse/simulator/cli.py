"""Command line of the simulator: ``python -m customer_warehouse.simulator``."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from customer_warehouse.simulator.settings import DEFAULT_START, SimulationError

log = logging.getLogger(__name__)
DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/shop"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cw simulate",
        description="Create and fill the simulated e-commerce platform database.",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help="SQLAlchemy URL of the platform database")
    parser.add_argument(
        "--customers", type=int, default=10_000, help="customer accounts (1,000 to 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed; the same seed gives the same data")
    parser.add_argument(
        "--events-dir", type=Path, required=True, help="folder for clickstream JSON-lines files"
    )
    parser.add_argument("--truth-dir", type=Path, required=True, help="folder for the planted truth")
    parser.add_argument("--days", type=int, default=365, help="days of history to simulate")
    parser.add_argument(
        "--start", type=date.fromisoformat, default=DEFAULT_START, help="first day (YYYY-MM-DD)"
    )
    parser.add_argument("--advance", type=int, metavar="STEP", help="simulate one more day, step number STEP")
    parser.add_argument("--replace", action="store_true", help="drop and recreate a non-empty platform")
    parser.add_argument("--quiet", action="store_true", help="log only warnings and errors")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from customer_warehouse.simulator.advance import advance
    from customer_warehouse.simulator.run import simulate

    try:
        if args.advance is not None:
            summary = advance(
                args.url, args.seed, args.advance, args.events_dir, args.truth_dir, not args.quiet
            )
        else:
            summary = simulate(
                args.url,
                args.customers,
                args.seed,
                args.events_dir,
                args.truth_dir,
                args.start,
                args.days,
                not args.quiet,
                replace=args.replace,
            )
    except (SimulationError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"rows: {summary.rows}; events: {summary.events:,} in {summary.event_files} files")
    return 0
