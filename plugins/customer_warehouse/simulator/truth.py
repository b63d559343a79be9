"""What the simulator planted, written to the truth folder (never to the shop database)."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from customer_warehouse.simulator.population import Population, defects_text

log = logging.getLogger(__name__)
CUSTOMERS_FILE = "customers_truth.csv"
CHANGES_FILE = "advance_changes.csv"
RUN_FILE = "simulation.json"
TRUTH_COLUMNS = ("customer_id", "person_id", "is_fake", "fake_kind", "duplicate_of_customer_id", "defects")


def write_customers(truth_dir: Path, pop: Population, append: bool) -> None:
    """Write (or append) one truth row per customer account."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    path = truth_dir / CUSTOMERS_FILE
    t = pop.truth
    defects = defects_text(pop.labels).astype(object)
    duplicate_of = np.where(t["duplicate_of_customer_id"] < 0, "", t["duplicate_of_customer_id"].astype(str))
    rows = zip(
        t["customer_id"].tolist(),
        t["person_id"].tolist(),
        np.where(t["is_fake"], "true", "false").tolist(),
        t["fake_kind"].tolist(),
        duplicate_of.tolist(),
        defects.tolist(),
        strict=True,
    )
    with path.open("a" if append else "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if not append:
            writer.writerow(TRUTH_COLUMNS)
        writer.writerows(rows)
    log.info("wrote truth for %s customers to %s", f"{len(pop):,}", path)


def write_changes(truth_dir: Path, step: int, changes: list[tuple[str, int, str]]) -> None:
    """Append the rows ``advance`` changed: (table, key, change kind)."""
    path = truth_dir / CHANGES_FILE
    new_file = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if new_file:
            writer.writerow(("step", "table", "key", "change"))
        writer.writerows((step, table, key, change) for table, key, change in changes)


def read_run(truth_dir: Path) -> dict:
    path = truth_dir / RUN_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: run the simulator without --advance first, with this --truth-dir"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def write_run(truth_dir: Path, run: dict) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    (truth_dir / RUN_FILE).write_text(json.dumps(run, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def max_person_id(truth_dir: Path) -> int:
    person_ids = pd.read_csv(truth_dir / CUSTOMERS_FILE, usecols=["person_id"], dtype={"person_id": "int64"})
    return int(person_ids["person_id"].max())
