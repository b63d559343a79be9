"""Benchmark: identity resolution accuracy and speed against the simulator's truth.

Simulates a platform of ``--customers`` accounts (duplicates and fakes planted), builds
the identity frame with ``shop_identity_frame``, and in the same run measures

- a full resolution of all accounts but the newest ``--batch-share`` (records per second);
- an incremental run of those newest accounts against the stored state, with its cost
  as a ratio of the full run;
- the same accounts resolved by the baseline below and stored as a bridge table, timed
  in the same run, so the full run's time prints as a ratio of the baseline's;
- pairwise precision, recall and F1 of the duplicate links (pairs of accounts of one
  person) after both runs, over every account in the truth, beside a baseline that links
  accounts whose email matches exactly after trimming and lower-casing.

The databases (``bench_identity_*``) and the simulator's event files are dropped at
the end. Run: ``python -m bench.bench_identity --customers 100000``.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import make_url

from customer_warehouse import simulator
from customer_warehouse.db import drop_database
from customer_warehouse.db import engine as make_engine
from customer_warehouse.identity import store
from customer_warehouse.identity.frame import shop_identity_frame
from customer_warehouse.identity.resolve import resolve_identities
from customer_warehouse.pii.keys import Pseudonymizer

log = logging.getLogger(__name__)

SERVER_URL = os.environ.get("CW_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def _pairs(groups: pd.Series) -> int:
    sizes = groups.value_counts().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_scores(truth_person: pd.Series, predicted: pd.Series) -> dict[str, float]:
    """Return precision, recall and F1 of the account pairs that ``predicted`` puts together.

    Both series are indexed by account; pairs are counted from group sizes, so no pair
    list is built.
    """
    joined = pd.DataFrame({"truth": truth_person, "predicted": predicted})
    true_pairs = _pairs(joined["truth"])
    found_pairs = _pairs(joined["predicted"])
    correct = _pairs(joined["truth"].astype(str) + "\x1f" + joined["predicted"].astype(str))
    precision = correct / found_pairs if found_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "true_pairs": true_pairs,
        "found_pairs": found_pairs,
        "correct_pairs": correct,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def email_baseline(frame: pd.DataFrame) -> pd.Series:
    """Group accounts by their email trimmed and lower-cased; accounts without one stay alone."""
    email = frame["email"].astype(object).map(lambda v: str(v).strip().lower() if v is not None else "")
    return pd.Series(
        np.where(email != "", email, "account:" + frame["customer_key"]), index=frame["customer_key"]
    )


BASELINE_TABLE = "public.baseline_person_accounts"


def timed_email_baseline(frame: pd.DataFrame, warehouse_url: str) -> float:
    """Resolve ``frame`` by exact email and store the bridge in the warehouse; return the seconds.

    The speed baseline of a full run: the simplest resolution there is, with the same kind
    of output (one row per account with its group, indexed by account), written by COPY.
    """
    started = time.monotonic()
    groups = email_baseline(frame)
    rows = pd.DataFrame({"customer_key": groups.index, "person": groups.to_numpy()})
    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, header=False)
    buffer.seek(0)
    eng = make_engine(warehouse_url)
    try:
        connection = eng.raw_connection()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"drop table if exists {BASELINE_TABLE}")
                cursor.execute(f"create table {BASELINE_TABLE} (customer_key text, person text)")
                cursor.copy_expert(f"copy {BASELINE_TABLE} from stdin with (format csv)", buffer)
                cursor.execute(f"alter table {BASELINE_TABLE} add primary key (customer_key)")
                cursor.execute(f"create index on {BASELINE_TABLE} (person)")
            connection.commit()
        finally:
            connection.close()
    finally:
        eng.dispose()
    return time.monotonic() - started


def _simulate(shop_url: str, customers: int, seed: int, work: Path) -> Path:
    started = time.monotonic()
    truth_dir = work / "truth"
    simulator.simulate(
        shop_url,
        customers=customers,
        seed=seed,
        events_dir=work / "events",
        truth_dir=truth_dir,
        progress=False,
    )
    shutil.rmtree(work / "events", ignore_errors=True)
    print(f"simulated {customers:,} customers in {time.monotonic() - started:.1f} s (event files deleted)")
    return truth_dir


def _truth(frame: pd.DataFrame, truth_dir: Path) -> pd.Series:
    truth = pd.read_csv(truth_dir / "customers_truth.csv", usecols=["customer_id", "person_id"], dtype=str)
    person = frame["source_customer_id"].map(truth.set_index("customer_id")["person_id"])
    if person.isna().any():
        raise RuntimeError(f"{int(person.isna().sum())} accounts have no truth row in {truth_dir}")
    return pd.Series(person.to_numpy(), index=frame["customer_key"].to_numpy())


def _report(label: str, scores: dict[str, float]) -> None:
    print(
        f"{label:<28} precision {scores['precision']:.4f}  recall {scores['recall']:.4f}  "
        f"F1 {scores['f1']:.4f}  (pairs: true {scores['true_pairs']:,}, found {scores['found_pairs']:,})"
    )


def run(
    customers: int, seed: int, batch_share: float, shop: tuple[str, Path] | None = None
) -> dict[str, float]:
    """Simulate (or reuse ``shop``: a simulated shop URL and its truth folder), resolve, report."""
    shop_url, warehouse_url = (
        make_url(SERVER_URL).set(database=f"bench_identity_{name}").render_as_string(hide_password=False)
        for name in ("shop", "wh")
    )
    if shop:
        shop_url = shop[0]
    created = [warehouse_url] if shop else [shop_url, warehouse_url]
    for url in created:
        drop_database(url)
    keys = Pseudonymizer(secrets.token_hex(32))
    with tempfile.TemporaryDirectory(prefix="cw-bench-identity-") as tmp:
        try:
            truth_dir = shop[1] if shop else _simulate(shop_url, customers, seed, Path(tmp))
            started = time.monotonic()
            frame = shop_identity_frame(shop_url, keys)
            print(f"identity frame of {len(frame):,} accounts read in {time.monotonic() - started:.1f} s")
            truth = _truth(frame, truth_dir)
            return _measure(frame, truth, warehouse_url, keys, batch_share)
        finally:
            for url in created:
                drop_database(url)


def _measure(frame, truth, warehouse_url, keys, batch_share) -> dict[str, float]:
    newest = frame.sort_values(["created_at", "customer_key"]).index[-max(1, int(len(frame) * batch_share)) :]
    batch, base = frame.loc[newest], frame.drop(index=newest)
    by_key = frame.set_index("customer_key", drop=False)

    def load_accounts(wanted: set[str]) -> pd.DataFrame:
        return by_key.loc[by_key.index.isin(wanted)].reset_index(drop=True)

    load_before = os.getloadavg()
    cpu_started = time.process_time()
    full = resolve_identities(base, warehouse_url, "bench-full", keys)
    cpu_full = time.process_time() - cpu_started
    incremental = resolve_identities(
        batch, warehouse_url, "bench-incremental", keys, incremental=True, load_accounts=load_accounts
    )
    cpu_incremental = time.process_time() - cpu_started - cpu_full
    baseline_seconds = timed_email_baseline(base, warehouse_url)
    load_after = os.getloadavg()
    eng = make_engine(warehouse_url)
    try:
        bridge = store.load_bridge(eng)
    finally:
        eng.dispose()
    ours = pairwise_scores(truth, bridge.reindex(truth.index))
    baseline = pairwise_scores(truth, email_baseline(frame).reindex(truth.index))
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    full_rate, incremental_rate = len(base) / full.seconds, len(batch) / incremental.seconds
    print(
        f"full run:        {len(base):>9,} accounts in {full.seconds:7.1f} s = {full_rate:8,.0f} accounts/s; "
        f"{full.counts['candidate_pairs']:,} candidate pairs "
        f"({full.counts['candidate_pairs'] / len(base):.2f} per account)"
    )
    print(
        f"baseline (exact email, bridge stored): {len(base):,} accounts in {baseline_seconds:.1f} s; "
        f"full run / baseline: {full.seconds / baseline_seconds:.1f}"
    )
    print(
        f"incremental run: {len(batch):>9,} accounts in {incremental.seconds:7.1f} s = "
        f"{incremental_rate:8,.0f} accounts/s; "
        f"compared {incremental.counts['accounts_compared']:,} accounts, "
        f"{incremental.counts['candidate_pairs']:,} candidate pairs"
    )
    print(
        f"incremental cost / full cost: {incremental.seconds / full.seconds:.3f} "
        f"(batch is {len(batch) / len(base):.3f} of the base)"
    )
    # CPU time of this process only (DuckDB threads included, the PostgreSQL server not):
    # less sensitive than wall time to other work on a shared machine.
    print(
        f"CPU seconds of this process: full {cpu_full:.1f} ({len(base) / cpu_full:,.0f} accounts per CPU s), "
        f"incremental {cpu_incremental:.1f}"
    )
    _report("ours (after both runs)", ours)
    _report("baseline: exact email", baseline)
    return {
        "full_seconds": full.seconds,
        "incremental_seconds": incremental.seconds,
        "baseline_seconds": baseline_seconds,
        **ours,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--customers", type=int, default=100_000, help="simulated accounts (1,000 to 1,000,000)"
    )
    parser.add_argument("--seed", type=int, default=42, help="simulator seed")
    parser.add_argument(
        "--batch-share",
        type=float,
        default=0.01,
        help="share of newest accounts left for the incremental run",
    )
    parser.add_argument("--shop-url", help="reuse this simulated shop database instead of simulating one")
    parser.add_argument("--truth-dir", type=Path, help="truth folder of --shop-url")
    args = parser.parse_args(argv)
    if bool(args.shop_url) != bool(args.truth_dir):
        parser.error("--shop-url and --truth-dir go together")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("splink", "customer_warehouse.simulator"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    run(
        args.customers,
        args.seed,
        args.batch_share,
        (args.shop_url, args.truth_dir) if args.shop_url else None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
