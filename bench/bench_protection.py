"""Benchmark: the shop extraction with encryption and pseudonymization against the same extraction without.

    python -m bench.bench_protection [--customers 100000] [--repeat 2]

Both variants run the same code on the same simulated platform: read customers and
addresses by watermark, standardize emails, phones and birth dates, COPY into raw.
The protected variant (the product) also computes HMAC keys, encrypts each account's
identifiers with AES-256-GCM and upserts them into the vault database. The baseline
keeps the standardized identifiers in plain raw columns, with no keys and no vault.
Goal: the protected extraction takes at most 1.3 times the baseline.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from customer_warehouse import simulator
from customer_warehouse.config import Settings
from customer_warehouse.db import drop_database, ensure_database
from customer_warehouse.ingest.shop import Protection, extract_shop
from customer_warehouse.pii.crypto import new_key_entry
from customer_warehouse.pii.split import SHOP_SPLITS, SplitRecord, TableSplit
from customer_warehouse.warehouse import bootstrap

PG_SERVER = os.environ.get("CW_BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
TABLES = ["customers", "addresses"]


class PlainKeys:
    """Stand-in for ``Pseudonymizer`` that hashes nothing: keys are the readable inputs."""

    def customer_key(self, source: str, source_customer_id: object) -> str:
        return f"{source}:{source_customer_id}"

    def key(self, namespace: str, value: object) -> str | None:
        return None if value is None else f"{namespace}:{value}"


def _plain_split(split: TableSplit, identity_columns: tuple[str, ...]) -> TableSplit:
    """Return ``split`` changed to keep the standardized identifiers as raw facts."""

    def split_plain(row: Mapping[str, Any], keys) -> SplitRecord:
        record = split.split(row, keys)
        return replace(record, facts={**record.facts, **record.identity})

    return replace(split, facts=split.facts + identity_columns, split=split_plain)


def _identity_columns(split: TableSplit) -> tuple[str, ...]:
    sample = {
        "customers": {"customer_id": 1, "country_code": "US", "updated_at": None},
        "addresses": {"address_id": 1, "customer_id": 1},
    }
    for table, row in sample.items():
        if SHOP_SPLITS[table] is split:
            return tuple(split.split(row, PlainKeys()).identity)
    raise ValueError("unknown split")


def _url(name: str) -> str:
    return make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)


def _fresh(url: str) -> str:
    drop_database(url)
    ensure_database(url)
    return url


def _plain_warehouse(url: str, splits: Mapping[str, TableSplit]) -> None:
    """Bootstrap a warehouse and add the plain identifier columns the baseline writes."""
    eng = bootstrap(url)
    with eng.begin() as conn:
        for table, split in splits.items():
            extra = split.facts[len(SHOP_SPLITS[table].facts) :]
            columns = ", ".join(f"add column {name} text" for name in extra)
            conn.execute(sa.text(f"alter table raw.shop_{table} {columns}"))
    eng.dispose()


def _timed_extract(cfg: Settings, protection: Protection | None) -> float:
    started = time.perf_counter()
    results = extract_shop(cfg, "bench", TABLES, protection)
    seconds = time.perf_counter() - started
    failed = [r.summary() for r in results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"extraction failed: {failed}")
    return seconds


def measure(customers: int, repeat: int) -> dict[str, list[float]]:
    os.environ.setdefault("CW_PSEUDONYM_KEY", secrets.token_hex(32))
    os.environ.setdefault("CW_VAULT_KEYS", new_key_entry("bench1"))
    plain_splits = {
        table: _plain_split(split, _identity_columns(split)) for table, split in SHOP_SPLITS.items()
    }
    shop_url = _fresh(_url("bench_protection_shop"))
    urls = [_url(f"bench_protection_{name}") for name in ("wh", "vault")]
    times: dict[str, list[float]] = {"plain": [], "protected": []}
    with tempfile.TemporaryDirectory(prefix="cw-bench-protection-") as tmp:
        home = Path(tmp)
        simulator.simulate(
            shop_url, customers, seed=9, events_dir=home / "events", truth_dir=home / "truth", progress=False
        )
        cfg = Settings(
            home=home,
            warehouse_url=urls[0],
            shop_url=shop_url,
            landing_dir=home / "landing",
            truth_dir=home / "truth",
            data_docs_dir=home / "data_docs",
            extract_lookback_seconds=3600,
            vault_url=urls[1],
        )
        try:
            for _ in range(repeat):
                _plain_warehouse(_fresh(urls[0]), plain_splits)
                plain = Protection(PlainKeys(), None, None, plain_splits)
                times["plain"].append(_timed_extract(cfg, plain))
                bootstrap(_fresh(urls[0])).dispose()
                _fresh(urls[1])
                times["protected"].append(_timed_extract(cfg, None))
        finally:
            for url in (shop_url, *urls):
                drop_database(url)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="simulated customers")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each variant, alternating")
    args = parser.parse_args(argv)
    times = measure(args.customers, args.repeat)
    pairs = [p / b for b, p in zip(times["plain"], times["protected"], strict=True)]
    print(f"customers                       {args.customers:>10,}")
    print("plain extraction (no keys)      " + ", ".join(f"{t:.1f} s" for t in times["plain"]))
    print("protected (keys, AES, vault)    " + ", ".join(f"{t:.1f} s" for t in times["protected"]))
    print(f"best-run ratio (goal <= 1.3)    {min(times['protected']) / min(times['plain']):>10.2f}")
    print(f"median ratio of pairs           {statistics.median(pairs):>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
