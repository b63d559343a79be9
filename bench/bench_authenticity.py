"""Benchmark: authenticity scoring of simulated shops against the simulator's truth, and its speed.

For each size, in one run: simulate a shop of N customers, build the identity frame and
the account facts, and score them with ``score_accounts`` into a throwaway warehouse.
Fake-account detection (``is_excluded`` against the truth's ``is_fake``) is reported as
precision, recall and F1 beside a baseline measured on the same accounts: the
disposable-email-domains list alone. The ablation rows rerun the scoring in memory with
one family of reasons weighted 0, to show which signals carry the result. Speed is
records per second of ``score_accounts`` (reads, scoring, writes) and of the in-memory
scoring alone.

Databases are named ``bench_auth_*`` and dropped at the end. The event files go to a
temporary folder that is removed (a 1,000,000-customer shop writes about 6.7 GB).
Run: ``python -m bench.bench_authenticity --sizes 10000 100000 --speed-size 1000000``.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import make_url

from bench.common import PG_SERVER
from customer_warehouse import simulator
from customer_warehouse.authenticity import load_config, score_accounts, score_batch, shop_account_facts
from customer_warehouse.authenticity.config import AuthenticityConfig
from customer_warehouse.db import drop_database, ensure_database
from customer_warehouse.identity.frame import shop_identity_frame
from customer_warehouse.pii.keys import Pseudonymizer

log = logging.getLogger(__name__)

# Families of reason codes switched off one at a time in the ablation.
ABLATIONS = {
    "disposable email": ("email_disposable",),
    "test and noise names": ("name_test_value", "name_keyboard_noise", "email_test_address"),
    "sign-up bursts": ("signup_burst_device", "signup_burst_ip"),
    "phone validity": ("phone_invalid",),
    "statistics": ("cohort_outlier", "anomaly_isolation_forest"),
}


@dataclass
class Accuracy:
    precision: float
    recall: float
    f1: float
    flagged: int

    @classmethod
    def of(cls, flagged: np.ndarray, fake: np.ndarray) -> Accuracy:
        hits = int((flagged & fake).sum())
        precision = hits / max(int(flagged.sum()), 1)
        recall = hits / max(int(fake.sum()), 1)
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        return cls(precision, recall, f1, int(flagged.sum()))

    def row(self, label: str) -> str:
        return f"| {label} | {self.precision:.3f} | {self.recall:.3f} | {self.f1:.3f} | {self.flagged:,} |"


@dataclass
class Shop:
    frame: pd.DataFrame
    facts: pd.DataFrame
    fake: np.ndarray
    build_seconds: float


def _databases(label: str) -> dict[str, str]:
    return {
        name: make_url(PG_SERVER).set(database=f"bench_auth_{label}_{name}").render_as_string(False)
        for name in ("shop", "wh")
    }


def simulate_shop(url: str, customers: int, seed: int, folder: Path, keys: Pseudonymizer) -> Shop:
    started = time.perf_counter()
    simulator.simulate(
        url,
        customers=customers,
        seed=seed,
        events_dir=folder / "events",
        truth_dir=folder / "truth",
        progress=False,
    )
    log.info("simulated %s customers in %.1f s", f"{customers:,}", time.perf_counter() - started)
    shutil.rmtree(folder / "events", ignore_errors=True)
    started = time.perf_counter()
    frame = shop_identity_frame(url, keys)
    facts = shop_account_facts(url, keys)
    build = time.perf_counter() - started
    truth = pd.read_csv(
        folder / "truth" / "customers_truth.csv",
        dtype={"customer_id": str},
        usecols=["customer_id", "is_fake"],
    )
    fake = truth.set_index("customer_id").loc[frame["source_customer_id"], "is_fake"].to_numpy(dtype=bool)
    return Shop(frame, facts, fake, build)


def baseline_flags(frame: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Flag accounts whose email domain is on the disposable-email-domains list; return flags and seconds."""
    from disposable_email_domains import blocklist

    started = time.perf_counter()
    flags = frame["email_domain"].isin(blocklist).to_numpy(dtype=bool)
    return flags, time.perf_counter() - started


def without(config: AuthenticityConfig, codes: tuple[str, ...]) -> AuthenticityConfig:
    weights = {code: (0.0 if code in codes else weight) for code, weight in config.weights.items()}
    return dataclasses.replace(config, weights=weights)


def measure(customers: int, seed: int, ablation: bool) -> list[str]:
    config = load_config()
    keys = Pseudonymizer(secrets.token_hex(32))
    urls = _databases(str(customers))
    for url in urls.values():
        drop_database(url)
        ensure_database(url)
    lines = []
    try:
        with tempfile.TemporaryDirectory(prefix="cw-bench-auth-") as tmp:
            shop = simulate_shop(urls["shop"], customers, seed, Path(tmp), keys)
        started = time.perf_counter()
        scored = score_batch(shop.frame, shop.facts, config, run_id=f"bench-{customers}-memory")
        memory_seconds = time.perf_counter() - started
        started = time.perf_counter()
        summary = score_accounts(
            shop.frame, shop.facts, urls["wh"], f"bench-{customers}", config=config, references=[]
        )
        stored_seconds = time.perf_counter() - started
        flags, baseline_seconds = baseline_flags(shop.frame)
        lines += [
            f"\n{customers:,} customers ({int(shop.fake.sum()):,} fake), seed {seed}",
            f"frame and facts built in {shop.build_seconds:.1f} s",
            f"score_batch (in memory): {memory_seconds:.1f} s, {customers / memory_seconds:,.0f} records/s",
            f"score_accounts (read, score, write): {stored_seconds:.1f} s, "
            f"{customers / stored_seconds:,.0f} records/s",
            f"baseline (domain list lookup): {baseline_seconds:.2f} s",
            f"drift warnings {summary.drift_warnings}, reasons {summary.reason_counts}",
            "",
            "| detector | precision | recall | F1 | flagged |",
            "|---|---:|---:|---:|---:|",
            Accuracy.of(scored.accounts["is_excluded"].to_numpy(dtype=bool), shop.fake).row(
                "authenticity score"
            ),
            Accuracy.of(flags, shop.fake).row("baseline: disposable-email-domains list alone"),
        ]
        if ablation:
            for label, codes in ABLATIONS.items():
                rescored = score_batch(
                    shop.frame, shop.facts, without(config, codes), run_id=f"ablation {label}"
                )
                flagged = rescored.accounts["is_excluded"].to_numpy(dtype=bool)
                lines.append(Accuracy.of(flagged, shop.fake).row(f"without {label}"))
    finally:
        for url in urls.values():
            drop_database(url)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000], help="customers per accuracy run"
    )
    parser.add_argument(
        "--speed-size", type=int, default=0, help="customers of one more run for speed (0: none)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--no-ablation", action="store_true", help="skip the runs with one family switched off"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    for size in args.sizes:
        print("\n".join(measure(size, args.seed, ablation=not args.no_ablation)), flush=True)
    if args.speed_size:
        print("\n".join(measure(args.speed_size, args.seed, ablation=False)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
