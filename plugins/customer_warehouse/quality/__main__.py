"""Command line: ``python -m customer_warehouse.quality SUITE [--run-id ID] [--schema S]``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from customer_warehouse.config import Settings
from customer_warehouse.quality.runner import SUITES, CriticalExpectationFailed, run_suite

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cw validate", description="Run one expectation suite and gate on it."
    )
    parser.add_argument("suite", choices=SUITES, help="suite to validate")
    parser.add_argument("--run-id", help="run id stored with the results (default: manual__<UTC time>)")
    parser.add_argument(
        "--schema", default="marts_build", help="schema of the candidate marts (default: marts_build)"
    )
    parser.add_argument(
        "--batch-id",
        action="append",
        dest="batch_ids",
        help="validate only rows of this raw load batch (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite; return 0 when no critical expectation failed, 1 otherwise."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_id = args.run_id or f"manual__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}"
    try:
        outcome = run_suite(
            Settings.from_env(), args.suite, run_id, batch_ids=args.batch_ids, schema=args.schema
        )
    except CriticalExpectationFailed as error:
        log.error("%s", error)
        return 1
    print(outcome.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
