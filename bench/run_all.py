"""Run every benchmark in turn and print its ratios against the baseline measured in the same run.

    python -m bench.run_all [--quick]

``--quick`` uses small sizes, a smoke run of a few minutes. Without it the sizes are the
ones in docs/benchmarks.md, an estimated hour on a 2-core machine.
"""

from __future__ import annotations

import argparse

from bench import bench_backup, bench_dbt, bench_load, bench_pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args(argv)
    print("== load: our load_landing against a plain COPY of the same file")
    bench_load.main(["--rows", "100000" if args.quick else "1000000"])
    print("\n== dbt: the DAG's two dbt task groups against a single dbt build")
    bench_dbt.main(["--customers", "2000" if args.quick else "10000"])
    print("\n== backup: encrypted backup and restore drill against plain pg_dump and pg_restore")
    bench_backup.main(["--customers", "2000" if args.quick else "100000"])
    print("\n== pipeline: full DAG time at several platform sizes")
    bench_pipeline.main(["--sizes", *(["2000", "10000"] if args.quick else ["10000", "100000", "1000000"])])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
