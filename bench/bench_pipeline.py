"""Benchmark: full pipeline time and rows per second at several platform sizes.

    python -m bench.bench_pipeline [--sizes 10000 100000 1000000]

For each size: simulate the platform (timed apart), run the whole DAG once, and report
the rows read from every source, the DAG's wall time, rows per second, and how the time
per customer compares with the smallest size (1.0 or less means linear or better).
"""

from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

from bench.common import bench_environment, run_dag
from customer_warehouse import simulator


def _rows_read(url: str) -> int:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = conn.scalar(sa.text("select coalesce(sum(rows_read), 0) from audit.load_batches"))
    eng.dispose()
    return int(rows)


def measure(customers: int) -> dict[str, float]:
    with bench_environment(f"p{customers}") as bench:
        cfg = bench.settings
        started = time.monotonic()
        simulator.simulate(
            cfg.shop_url,
            customers=customers,
            seed=3,
            events_dir=cfg.landing_dir / "events",
            truth_dir=cfg.truth_dir,
            progress=False,
        )
        simulate_s = time.monotonic() - started
        dag_s, _ = run_dag(bench, "2026-12-01T00:00:00+00:00")
        rows = _rows_read(cfg.warehouse_url)
    return {"customers": customers, "simulate_s": simulate_s, "dag_s": dag_s, "rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args(argv)
    results = []
    for size in args.sizes:
        results.append(measure(size))
        r = results[-1]
        print(f"measured {r['customers']:,} customers: DAG {r['dag_s']:.1f} s", flush=True)
    base = results[0]["dag_s"] / results[0]["customers"]
    print("| customers | simulate s | rows read | DAG s | rows/s | time per customer vs smallest |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        growth = (r["dag_s"] / r["customers"]) / base
        print(
            f"| {r['customers']:,} | {r['simulate_s']:.1f} | {r['rows']:,} | {r['dag_s']:.1f} | "
            f"{r['rows'] / r['dag_s']:,.0f} | {growth:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
