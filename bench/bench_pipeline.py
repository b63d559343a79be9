"""Benchmark: full pipeline time and rows per second at several platform sizes.

    python -m bench.bench_pipeline [--sizes 10000 100000 1000000]

For each size: simulate the platform (timed apart), run the whole DAG once, and report
the rows read from every source, the DAG's wall time, rows per second, and how the time
per customer compares with the smallest size (1.0 or less means linear or better); then
the same for every task, from the DAG run report.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime

import sqlalchemy as sa

from bench.common import bench_environment, run_dag
from customer_warehouse import simulator


def _rows_read(url: str) -> int:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = conn.scalar(sa.text("select coalesce(sum(rows_read), 0) from audit.load_batches"))
    eng.dispose()
    return int(rows)


def _task_durations(report: dict) -> dict[str, float]:
    """Seconds each task ran, from the DAG run report."""
    durations = {}
    for task_id, (start, end) in report["timings"].items():
        if start and end:
            durations[task_id] = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
    return durations


def measure(customers: int) -> dict:
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
        dag_s, report = run_dag(bench, "2026-12-01T00:00:00+00:00")
        rows = _rows_read(cfg.warehouse_url)
    return {
        "customers": customers,
        "simulate_s": simulate_s,
        "dag_s": dag_s,
        "rows": rows,
        "tasks": _task_durations(report),
    }


def print_task_table(results: list[dict], share: float = 0.01) -> None:
    """Print the seconds of every task at every size and its growth per customer against the smallest size.

    Tasks shorter than ``share`` of the largest size's DAG time share one row.
    """
    first, last = results[0], results[-1]
    scale = last["customers"] / first["customers"]
    long_tasks = [t for t, seconds in last["tasks"].items() if seconds >= share * last["dag_s"]]
    rows = {task_id: [r["tasks"].get(task_id, 0.0) for r in results] for task_id in long_tasks}
    others = [t for t in last["tasks"] if t not in long_tasks]
    rows[f"{len(others)} other tasks"] = [sum(r["tasks"].get(t, 0.0) for t in others) for r in results]
    sizes = " | ".join(f"{r['customers']:,} s" for r in results)
    print(f"| task | {sizes} | time per customer, {last['customers']:,} vs {first['customers']:,} |")
    print("|---|" + "---:|" * (len(results) + 1))
    for name, seconds in sorted(rows.items(), key=lambda item: -item[1][-1]):
        cells = " | ".join(f"{value:.1f}" for value in seconds)
        growth = f"{seconds[-1] / seconds[0] / scale:.2f}" if seconds[0] else ""
        print(f"| {name} | {cells} | {growth} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args(argv)
    results = []
    for size in args.sizes:
        results.append(measure(size))
        r = results[-1]
        # One JSON line per size, so the figures of the smaller sizes survive a failed larger one.
        print(f"measured {r['customers']:,} customers: DAG {r['dag_s']:.1f} s {json.dumps(r)}", flush=True)
    base = results[0]["dag_s"] / results[0]["customers"]
    print("| customers | simulate s | rows read | DAG s | rows/s | time per customer vs smallest |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        growth = (r["dag_s"] / r["customers"]) / base
        print(
            f"| {r['customers']:,} | {r['simulate_s']:.1f} | {r['rows']:,} | {r['dag_s']:.1f} | "
            f"{r['rows'] / r['dag_s']:,.0f} | {growth:.2f} |"
        )
    print()
    print_task_table(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
