"""Benchmark: the dbt part of the DAG (Cosmos) against one plain ``dbt build`` of the same project.

    python -m bench.bench_dbt [--customers 10000]

Fills a simulated platform, runs the whole DAG once to land the data, then in the same
run times (a) a single ``dbt build`` of the project and (b) the DAG's ``dbt_build`` task
group alone (every other task marked successful without running), and prints the ratio.
Goal: the task group takes at most 1.3 times the single build.
"""

from __future__ import annotations

import argparse

from bench.common import bench_environment, run_dag, span_seconds, timed
from customer_warehouse import simulator
from customer_warehouse.runtime import venv_bin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000, help="simulated customers")
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
        single = timed([venv_bin("cw-dbt"), "build", "--quiet"], bench.env, cwd=cfg.dbt_project_dir)
        _, report = run_dag(bench, "2026-12-02T00:00:00+00:00", mark_success_pattern=r"^(?!dbt_build\.)")
        group = span_seconds(report, "dbt_build.")
        single_again = timed([venv_bin("cw-dbt"), "build", "--quiet"], bench.env, cwd=cfg.dbt_project_dir)
    baseline = min(single, single_again)
    print(f"customers                     {args.customers:>10,}")
    print(f"single dbt build (best of 2)  {baseline:>10.1f} s  ({single:.1f} s, {single_again:.1f} s)")
    print(f"DAG dbt_build task group      {group:>10.1f} s")
    print(f"ratio (goal <= 1.3)           {group / baseline:>10.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
