"""Command lines of the two Python steps the DAG runs between its dbt task groups.

    cw identity resolve [--full] [--run-id ID]
    cw authenticity score [--full] [--run-id ID]

Each runs its step as the DAG's task does: it reads the staging models and the vault as
the last dbt build left them, writes to the ``identity`` or ``authenticity`` schema, and
prints the step's counts as JSON. Without ``--full`` a step takes only the accounts
loaded since its previous run, like a scheduled run. The marts show the result after the
next ``cw dbt build`` (or ``cw run``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime

from customer_warehouse.config import Settings, settings


def _run_step(
    prog: str, action: str, description: str, step: Callable[[Settings, str, bool | None], dict], argv
) -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("action", choices=[action])
    parser.add_argument(
        "--full", action="store_true", help="take every account, not only those loaded since the last run"
    )
    parser.add_argument("--run-id", help="run id stored with the results (default: manual__<UTC time>)")
    args = parser.parse_args(argv)
    run_id = args.run_id or f"manual__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}"
    counts = step(settings(), run_id, True if args.full else None)
    print(json.dumps(counts, indent=2, default=str))
    return 0


def identity_main(argv: list[str] | None = None) -> int:
    from customer_warehouse.identity.pipeline import run_identity_resolution

    return _run_step(
        "cw identity",
        "resolve",
        "Resolve the warehouse's accounts into persons, as the DAG's resolve_identities task does.",
        run_identity_resolution,
        argv,
    )


def authenticity_main(argv: list[str] | None = None) -> int:
    from customer_warehouse.authenticity.pipeline import run_authenticity_scoring

    return _run_step(
        "cw authenticity",
        "score",
        "Score the accounts' authenticity, as the DAG's score_authenticity task does.",
        run_authenticity_scoring,
        argv,
    )
