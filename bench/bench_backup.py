"""Benchmark: an encrypted backup and a restore drill against plain ``pg_dump`` and ``pg_restore``.

    python -m bench.bench_backup [--customers 100000] [--repeat 2] [--dbt-exclude SELECTOR]

Fills a warehouse the way the DAG does (simulated platform, ``extract_shop``,
``load_landing``, one ``dbt build``), then in the same run times, alternating, ``--repeat``
times each:

- baseline: ``pg_dump --format=custom`` of the warehouse into a file;
- backup: ``back_up_database`` of the same warehouse (snapshot, pg_dump, row counts and
  checksums of every table, age encryption, SHA-256, manifest, folder store);
- restore baseline: ``pg_restore`` of the plain dump into a new database;
- drill: ``run_drill`` (SHA-256 check, decryption, restore, row counts and checksums
  compared with the manifest, scratch database dropped). Its restore-and-compare part is
  also printed alone: dropping a database makes PostgreSQL write a checkpoint of the whole
  server, which costs more on a server that other work keeps busy.

Prints the best time of each and the ratios against the plain ``pg_dump``. Databases are
named ``bench_backup_*`` and dropped at the end.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import bench_environment, timed
from customer_warehouse import simulator
from customer_warehouse.backup import back_up_database, run_drill
from customer_warehouse.backup.keys import generate_keypair
from customer_warehouse.backup.pgtools import libpq_env, server_url
from customer_warehouse.config import BackupSettings
from customer_warehouse.db import drop_database, ensure_database
from customer_warehouse.ingest import extract_shop, load_landing
from customer_warehouse.runtime import venv_bin
from customer_warehouse.warehouse import bootstrap

log = logging.getLogger(__name__)


def fill_warehouse(bench, customers: int, dbt_exclude: str | None = None) -> None:
    cfg = bench.settings
    started = time.monotonic()
    simulator.simulate(
        cfg.shop_url,
        customers=customers,
        seed=9,
        events_dir=cfg.landing_dir / "events",
        truth_dir=cfg.truth_dir,
        progress=False,
    )
    bootstrap(cfg.warehouse_url).dispose()
    extract_shop(cfg, "bench_backup")
    load_landing(cfg, "bench_backup")
    build = [venv_bin("cw-dbt"), "build", "--quiet"]
    if dbt_exclude:
        build += ["--exclude", dbt_exclude]
    timed(build, bench.env, cwd=cfg.dbt_project_dir)
    print(
        f"filled the warehouse with {customers:,} simulated customers in {time.monotonic() - started:.0f} s"
    )


def backup_settings(bench, folder: Path) -> BackupSettings:
    identity, recipient = generate_keypair()
    os.environ["CW_BACKUP_IDENTITY"] = identity
    os.environ.pop("CW_BACKUP_IDENTITY_FILE", None)
    os.environ.update(
        {
            "CW_BACKUP_DATABASES": "warehouse",
            "CW_BACKUP_DIR": str(folder / "store"),
            "CW_BACKUP_TMP_DIR": str(folder / "scratch"),
            "CW_BACKUP_RECIPIENTS": recipient,
            # Keep every backup: the benchmark times the backup alone.
            "CW_BACKUP_KEEP_DAILY": "1000",
        }
    )
    return BackupSettings.from_env(bench.settings)


def plain_dump(url: str, path: Path) -> float:
    return timed(["pg_dump", "--format=custom", "--no-password", f"--file={path}"], libpq_env(url))


def plain_restore(url: str, path: Path) -> float:
    target = server_url(url, "bench_backup_plain_restore")
    drop_database(target)
    ensure_database(target)
    try:
        return timed(
            ["pg_restore", "--exit-on-error", "--dbname=bench_backup_plain_restore", str(path)],
            libpq_env(target),
        )
    finally:
        drop_database(target)


def time_rounds(cfg: BackupSettings, url: str, plain: Path, repeat: int):
    """Alternate the four timed steps ``repeat`` times; return the seconds of each and the last backup."""
    times: dict[str, list[float]] = {
        "pg_dump": [],
        "backup": [],
        "pg_restore": [],
        "drill restore and compare": [],
        "drill": [],
    }
    for _ in range(repeat):
        times["pg_dump"].append(plain_dump(url, plain))
        backup = back_up_database(cfg, "warehouse", run_id="bench")
        times["backup"].append(backup.seconds)
        times["pg_restore"].append(plain_restore(url, plain))
        started = time.monotonic()
        drilled = run_drill(cfg, "warehouse", run_id="bench")
        times["drill"].append(time.monotonic() - started)
        times["drill restore and compare"].append(drilled.seconds)
        time.sleep(1)  # backup ids have one-second resolution
    return times, backup


def print_report(times: dict[str, list[float]]) -> None:
    best = {step: min(values) for step, values in times.items()}
    for step, values in times.items():
        print(f"{step:<28} {best[step]:>10.1f} s  (runs: {', '.join(f'{v:.1f}' for v in values)})")
    print(f"backup / pg_dump             {best['backup'] / best['pg_dump']:>10.2f}")
    print(f"drill / pg_dump              {best['drill'] / best['pg_dump']:>10.2f}")
    print(f"drill / pg_restore           {best['drill'] / best['pg_restore']:>10.2f}")
    print(f"(backup + drill) / pg_dump   {(best['backup'] + best['drill']) / best['pg_dump']:>10.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="simulated customers")
    parser.add_argument("--repeat", type=int, default=2, help="timed rounds of each step")
    parser.add_argument(
        "--dbt-exclude", help="dbt selector of models to leave out of the fill, e.g. a slow one"
    )
    args = parser.parse_args(argv)
    with bench_environment("backup") as bench, tempfile.TemporaryDirectory(prefix="cw-bench-backup-") as tmp:
        fill_warehouse(bench, args.customers, args.dbt_exclude)
        url = bench.settings.warehouse_url
        plain = Path(tmp) / "plain.dump"
        times, backup = time_rounds(backup_settings(bench, Path(tmp)), url, plain, args.repeat)
        size = subprocess.run(
            ["psql", "-Atc", "select pg_database_size(current_database())"],
            env=libpq_env(url),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"customers                    {args.customers:>12,}")
        print(f"warehouse size               {int(size) / 1e6:>12.1f} MB")
        print(f"tables, rows                 {backup.tables:>12}, {backup.rows:,}")
        plain_mb, encrypted_mb = plain.stat().st_size / 1e6, backup.size_bytes / 1e6
        print(f"plain dump / encrypted       {plain_mb:>12.1f} MB / {encrypted_mb:.1f} MB")
    print_report(times)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
