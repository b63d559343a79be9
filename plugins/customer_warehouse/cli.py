"""``cw``: the one command line of the customer warehouse.

Run ``cw --help`` for the list. ``cw demo`` runs the main job end to end on simulated
platform data (and optionally real Olist exports); the other commands run one step each.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from customer_warehouse.config import Settings, settings
from customer_warehouse.db import engine, ensure_database
from customer_warehouse.demo_state import START_OVER, DemoStateError, check_demo_state, start_over
from customer_warehouse.runtime import airflow_db_url, airflow_env, ensure_secrets, load_secrets, venv_bin

log = logging.getLogger("customer_warehouse.cli")

DAG_ID = "customer_warehouse"
# Size of the simulated platform the demo creates when --customers is not given.
DEMO_CUSTOMERS = 5000
RESET_HELP = (
    "drop the demo's databases (shop, warehouse, vault, airflow, superset), its roles and its "
    "simulation data; only with the local default settings"
)


def _run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    log.info("running %s", " ".join(cmd[:3]))
    result = subprocess.run(cmd, env=env, cwd=cwd, check=False)
    if result.returncode != 0:
        raise SystemExit(f"command failed with exit code {result.returncode}: {' '.join(cmd)}")


def init(cfg: Settings) -> None:
    """Create secrets, databases, roles and schemas, the dbt manifest and Airflow's metadata."""
    ensure_secrets(cfg)
    load_secrets(cfg)
    from customer_warehouse.access import apply_access

    for url in (cfg.shop_url, airflow_db_url()):
        ensure_database(url)
    # Creates the warehouse and vault databases, their roles and schemas, and the grants.
    apply_access(cfg)
    dbt_parse()
    airflow_migrate(cfg)


def dbt_parse() -> None:
    _run([venv_bin("cw-dbt"), "parse", "--quiet"])


def airflow_migrate(cfg: Settings) -> None:
    env = airflow_env(cfg)
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    _run([venv_bin("airflow"), "db", "migrate"], env=env)


def run_dag(cfg: Settings, logical_date: str | None = None) -> str | None:
    """Run the DAG once with dag.test() and return its run id.

    The full log goes to a file, the task states to stdout.
    """
    args = [sys.executable, "-m", "customer_warehouse.dag_run", DAG_ID]
    if logical_date:
        args += ["--logical-date", logical_date]
    log_dir = cfg.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"dag-run-{datetime.now(UTC):%Y%m%dT%H%M%S}.log"
    log.info("running DAG %s; full log in %s", DAG_ID, log_path)
    with open(log_path, "w") as log_file:
        result = subprocess.run(
            args, env=airflow_env(cfg), stdout=subprocess.PIPE, stderr=log_file, text=True
        )
        log_file.write(result.stdout)
    from customer_warehouse.dag_run import parse_report

    report = parse_report(result.stdout)
    for task_id, state in sorted(report.get("tasks", {}).items()):
        print(f"  {state:<16} {task_id}")
    if result.returncode != 0:
        raise SystemExit(
            f"DAG {DAG_ID} failed (exit code {result.returncode}, state {report.get('state')}): "
            f"see {log_path} for the task logs"
        )
    print(f"DAG {DAG_ID} run {report.get('run_id')}: {report.get('state')}")
    return report.get("run_id")


def _platform_has_customers(cfg: Settings) -> bool:
    import sqlalchemy as sa

    eng = engine(cfg.shop_url)
    try:
        with eng.connect() as conn:
            return bool(
                sa.inspect(conn).has_table("customers")
                and conn.scalar(sa.text("select 1 from customers limit 1"))
            )
    finally:
        eng.dispose()


def simulate_platform(cfg: Settings, customers: int | None, seed: int) -> None:
    """Fill the shop database on first use; on later runs advance it by one day of changes.

    ``customers`` is the size of a new platform (None: ``DEMO_CUSTOMERS``). An existing
    platform keeps its size, and a different explicit size is reported, not applied.
    """
    from customer_warehouse import simulator

    events_dir = cfg.landing_dir / "events"
    if _platform_has_customers(cfg):
        _report_ignored_size(cfg, customers)
        step = len(list(cfg.truth_dir.glob("advance-*.done"))) + 1
        simulator.advance(cfg.shop_url, seed=seed, step=step, events_dir=events_dir, truth_dir=cfg.truth_dir)
        (cfg.truth_dir / f"advance-{step}.done").touch()
    else:
        simulator.simulate(
            cfg.shop_url,
            customers=customers or DEMO_CUSTOMERS,
            seed=seed,
            events_dir=events_dir,
            truth_dir=cfg.truth_dir,
        )


def _report_ignored_size(cfg: Settings, customers: int | None) -> None:
    from customer_warehouse.simulator.truth import read_run

    if customers is None:
        return
    created_with = read_run(cfg.truth_dir)["plan"]["customers"]
    if customers != created_with:
        log.warning(
            "--customers %s ignored: the simulated platform exists and was created with %s customers, "
            "so this run advances it by one day. The size applies to a new platform: run %s to rebuild it.",
            f"{customers:,}",
            f"{created_with:,}",
            START_OVER,
        )


def olist_files(source_dir: Path) -> list[Path]:
    """Return the CSV files of an Olist export folder; raise ValueError naming what is wrong."""
    if not source_dir.exists():
        raise ValueError(f"{source_dir} does not exist: pass a folder of Olist CSV exports")
    if not source_dir.is_dir():
        raise ValueError(f"{source_dir} is not a folder: pass a folder of Olist CSV exports")
    files = sorted(source_dir.glob("*.csv"))
    if not files:
        raise ValueError(f"no CSV files in {source_dir}: expected an Olist export folder")
    return files


def land_olist(cfg: Settings, source_dir: Path) -> int:
    """Copy an Olist export folder into the landing folder; return the number of CSV files."""
    try:
        files = olist_files(source_dir)
    except ValueError as error:
        raise SystemExit(str(error)) from error
    target = cfg.landing_dir / "olist" / source_dir.name
    target.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copy2(path, target / path.name)
    log.info("landed %d Olist files from %s into %s", len(files), source_dir, target)
    return len(files)


def demo(args: argparse.Namespace) -> None:
    """Run ``cw demo``: check or reset the local state, then initialize, load, run and summarize.

    The arguments were checked by ``parse_args``, so a wrong --olist-dir or size stops
    the command before anything changes.
    """
    cfg = settings()
    try:
        if args.fresh:
            start_over(cfg)
        else:
            check_demo_state(cfg)
    except DemoStateError as error:
        raise SystemExit(f"cw demo: {error}") from error
    sources = ["olist"] if args.no_simulate else ["shop", "events"]
    if args.olist_dir and "olist" not in sources:
        sources.append("olist")
    os.environ["CW_SOURCES"] = ",".join(sources)
    init(cfg)
    if not args.no_simulate:
        simulate_platform(cfg, args.customers, args.seed)
    if args.olist_dir:
        land_olist(cfg, args.olist_dir)
    run_id = run_dag(cfg, datetime.now(UTC).isoformat())
    dashboards_note = "skipped (--skip-dashboards)"
    if not args.skip_dashboards:
        from customer_warehouse import dashboards

        scfg = dashboards.SupersetConfig.from_settings(cfg)
        dashboards.init_superset(scfg)
        dashboards.import_dashboards(scfg, cfg.role_url("dashboard"), cfg.role_url("analyst"))
        dashboards_note = f"imported: {', '.join(dashboards.dashboard_titles(scfg.assets_dir))}"
    print_summary(cfg, dashboards_note, run_id)


def reset(cfg: Settings) -> None:
    """Run ``cw reset``: drop the demo's databases, roles and simulation data."""
    try:
        start_over(cfg)
    except DemoStateError as error:
        raise SystemExit(f"cw reset: {error}") from error
    print("dropped the demo's databases, roles and simulation data; `cw demo` builds them again")


def print_summary(cfg: Settings, dashboards_note: str = "", run_id: str | None = None) -> None:
    """Print the summary of DAG run ``run_id`` (default: the latest) and where to look next."""
    from customer_warehouse.summary import collect_summary, format_summary

    print(format_summary(collect_summary(cfg, run_id)))
    analyst_url = make_url(cfg.role_url("analyst"))
    print(
        "\nWhere to look:\n"
        f"  Airflow UI     make airflow-up, then http://127.0.0.1:8080 (password in {cfg.home}/airflow/"
        "simple_auth_manager_passwords.json.generated)\n"
        f"  Superset       make superset-up, then http://127.0.0.1:8088 (user admin, password "
        f"SUPERSET_ADMIN_PASSWORD in {cfg.home}/secrets.env); dashboards {dashboards_note}\n"
        f"  Data Docs      {cfg.data_docs_dir}/index.html\n"
        f"  SQL (analyst)  psql {analyst_url.render_as_string(hide_password=True).replace('+psycopg2', '')}"
        " -c 'select * from marts.customer_segments limit 10'"
    )


def _forward(target: str, argv: list[str]) -> int:
    """Call ``module:function`` (``main`` when no function is named) with the arguments."""
    import importlib

    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function or "main")(argv) or 0


def _customer_count(text: str) -> int:
    from customer_warehouse.simulator.settings import MAX_CUSTOMERS, MIN_CUSTOMERS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}: use a whole number") from None
    if not MIN_CUSTOMERS <= value <= MAX_CUSTOMERS:
        raise argparse.ArgumentTypeError(
            f"{value:,} is out of range: use {MIN_CUSTOMERS:,} to {MAX_CUSTOMERS:,} customers"
        )
    return value


def _olist_dir(text: str) -> Path:
    path = Path(text).expanduser().resolve()
    try:
        olist_files(path)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cw", description="Customer warehouse for e-commerce platforms.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "init", help="create secrets, databases, roles, schemas, the dbt manifest and Airflow metadata"
    )
    d = sub.add_parser("demo", help="run the main job end to end on simulated platform data")
    d.add_argument(
        "--customers",
        type=_customer_count,
        help=f"size of a new simulated platform, 1,000 to 1,000,000 (default {DEMO_CUSTOMERS:,}); "
        "an existing platform keeps its size",
    )
    d.add_argument("--seed", type=int, default=42, help="simulation seed")
    d.add_argument("--olist-dir", type=_olist_dir, help="also load a folder of Olist CSV exports")
    d.add_argument("--no-simulate", action="store_true", help="load only the Olist exports of --olist-dir")
    d.add_argument("--skip-dashboards", action="store_true", help="do not import the Superset dashboards")
    d.add_argument(
        "--fresh",
        action="store_true",
        help=f"first {RESET_HELP}",
    )
    r = sub.add_parser("run", help="run the customer_warehouse DAG once (dag.test)")
    r.add_argument(
        "--logical-date",
        help="ISO 8601 date and time of the run, e.g. 2026-12-04T02:00:00+00:00 (default: now)",
    )
    sub.add_parser(
        "reset",
        help=RESET_HELP,
    )
    sub.add_parser("summary", help="print rows per layer, load and quality figures, segment sizes")
    sub.add_parser("publish", help="copy the validated candidate marts into the marts schema")
    purge = sub.add_parser("purge-landing", help="delete loaded landed files older than the retention period")
    purge.add_argument("--days", type=int, help="retention in days (default CW_LANDING_RETENTION_DAYS or 30)")
    for name, help_text in (
        ("simulate", "create and fill the simulated platform database"),
        ("ingest", "extract the shop database or load landed files (extract|load)"),
        ("validate", "run an expectation suite (raw_inputs|authenticity|marts)"),
        ("superset", "Superset: init|up|down|import|refresh|security|users"),
        ("vault", "PII vault: status|new-key|rotate"),
        ("access", "database roles and grants: apply"),
        ("privacy", "re-identify or erase a person, on the record: reveal|erase"),
        ("dbt", "run dbt with the warehouse connection, e.g. cw dbt build"),
        ("airflow", "run an Airflow command in the project's Airflow home, or up|down"),
        ("backup", "encrypted backups: run|list|drill|restore|keygen"),
        ("identity", "resolve accounts into persons, the DAG's step: resolve [--full]"),
        ("authenticity", "score the accounts' authenticity, the DAG's step: score [--full]"),
    ):
        p = sub.add_parser(name, help=help_text, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse a command that ``cw`` runs itself; exit with code 2 on invalid arguments."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "demo" and args.no_simulate and not args.olist_dir:
        parser.error(
            "--no-simulate needs --olist-dir: without the simulation the demo loads only Olist exports"
        )
    return args


FORWARDED = {
    "simulate": "customer_warehouse.simulator.cli",
    "ingest": "customer_warehouse.ingest.cli",
    "validate": "customer_warehouse.quality.__main__",
    "superset": "customer_warehouse.dashboards",
    "vault": "customer_warehouse.pii.cli",
    "backup": "customer_warehouse.backup",
    "access": "customer_warehouse.access",
    "privacy": "customer_warehouse.pii.privacy_cli",
    "identity": "customer_warehouse.steps_cli:identity_main",
    "authenticity": "customer_warehouse.steps_cli:authenticity_main",
}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    argv = sys.argv[1:] if argv is None else argv
    # argparse's REMAINDER drops a leading option such as ``--help``, so commands that
    # forward their arguments get them untouched.
    if argv and argv[0] in (*FORWARDED, "dbt", "airflow"):
        args = argparse.Namespace(command=argv[0], rest=list(argv[1:]))
    else:
        args = parse_args(argv)
    cfg = settings()
    load_secrets(cfg)
    if args.command in FORWARDED:
        return _forward(FORWARDED[args.command], args.rest)
    if args.command == "dbt":
        return subprocess.call([venv_bin("cw-dbt"), *args.rest])
    if args.command == "airflow":
        from customer_warehouse.airflow_local import airflow_command

        return airflow_command(cfg, args.rest)
    if args.command == "init":
        init(cfg)
    elif args.command == "demo":
        demo(args)
    elif args.command == "run":
        run_dag(cfg, args.logical_date)
    elif args.command == "reset":
        reset(cfg)
    elif args.command == "summary":
        print_summary(cfg)
    elif args.command == "purge-landing":
        from customer_warehouse.retention import purge_landing

        result = purge_landing(cfg, f"manual__{datetime.now(UTC).isoformat()}", args.days)
        print(f"deleted {len(result.deleted):,} files, kept {len(result.kept_unloaded):,} never loaded")
    elif args.command == "publish":
        from customer_warehouse.publish import publish_marts

        publish_marts(cfg.warehouse_url, run_id=f"manual__{datetime.now(UTC).isoformat()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
