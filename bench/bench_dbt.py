"""Benchmark: the dbt part of the DAG (Cosmos) against one plain ``dbt build`` of the same project.

    python -m bench.bench_dbt [--customers 10000] [--repeat 2]

Fills a simulated platform, runs the whole DAG once to land the data, then ``--repeat``
times, back to back, times (a) a single ``dbt build`` of the project and (b) the DAG's
``dbt_build`` task group alone, and prints the best of each and the median ratio of the
pairs. Goal: the task group takes at most 1.3 times the single build.

In (b) every task outside the group is marked successful without running, except
``bootstrap_warehouse`` (idempotent DDL): ``dag.test()`` starts its in-process task runner
with the first task it runs, which took 7 s on the 2-core machine, and that start-up
belongs to no task of the group.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import datetime

from bench.common import bench_environment, run_dag, span_seconds, timed
from customer_warehouse import simulator
from customer_warehouse.runtime import venv_bin

# dag.test() marks the task ids this pattern matches in full as successful without running them.
OUTSIDE_DBT_GROUP = r"(?!dbt_build\.|bootstrap_warehouse$).*"
PRODUCER = "dbt_build.dbt_producer_watcher"


def _task_seconds(report: dict, task_id: str) -> float | None:
    start, end = report["timings"].get(task_id, (None, None))
    if not (start and end):
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def _time_pair(bench, attempt: int) -> tuple[float, float, float | None]:
    """Time one single dbt build and one run of the task group; return both and the producer's time."""
    cfg = bench.settings
    single = timed([venv_bin("cw-dbt"), "build", "--quiet"], bench.env, cwd=cfg.dbt_project_dir)
    logical_date = f"2026-12-02T{attempt:02d}:00:00+00:00"
    _, report = run_dag(bench, logical_date, mark_success_pattern=OUTSIDE_DBT_GROUP)
    return single, span_seconds(report, "dbt_build."), _task_seconds(report, PRODUCER)


def _listed(seconds: list[float]) -> str:
    return ", ".join(f"{value:.1f} s" for value in seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="simulated customers")
    parser.add_argument("--repeat", type=int, default=2, help="timed pairs of runs (default 2)")
    args = parser.parse_args(argv)
    with bench_environment("dbt") as bench:
        cfg = bench.settings
        simulator.simulate(
            cfg.shop_url,
            customers=args.customers,
            seed=5,
            events_dir=cfg.landing_dir / "events",
            truth_dir=cfg.truth_dir,
            progress=False,
        )
        run_dag(bench, "2026-12-01T00:00:00+00:00")
        pairs = [_time_pair(bench, attempt) for attempt in range(args.repeat)]
    singles = [single for single, _, _ in pairs]
    groups = [group for _, group, _ in pairs]
    print(f"customers                     {args.customers:>10,}")
    print(f"single dbt build, best        {min(singles):>10.1f} s  ({_listed(singles)})")
    print(f"DAG dbt_build task group, best{min(groups):>10.1f} s  ({_listed(groups)})")
    for single, group, producer in pairs:
        if producer is not None:
            sensors = group - producer
            print(f"  pair: single {single:.1f} s; producer {producer:.1f} s, then sensors {sensors:.1f} s")
    print(f"ratio of the best runs        {min(groups) / min(singles):>10.2f}  (goal <= 1.3)")
    print(f"median ratio of the pairs     {statistics.median(g / s for s, g, _ in pairs):>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
