"""Run one DAG once with ``dag.test()``, the way ``cw run`` and the tests do.

Meant to run in a process whose environment comes from ``runtime.airflow_env``:
``python -m customer_warehouse.dag_run customer_warehouse --logical-date 2026-12-04``.
Exits 0 when the run succeeded, 1 when it failed, 2 when the DAG folder has import errors.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

import pendulum

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument("--logical-date", help="ISO date or timestamp of the run (default: now, UTC)")
    parser.add_argument("--conf", default="{}", help="JSON run configuration")
    parser.add_argument(
        "--mark-success-pattern", help="regular expression of task ids to mark successful without running"
    )
    args = parser.parse_args(argv)

    from airflow.dag_processing.dagbag import DagBag

    dagbag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if dagbag.import_errors:
        for path, error in dagbag.import_errors.items():
            print(f"import error in {path}: {error}", file=sys.stderr)
        return 2
    dag = dagbag.get_dag(args.dag_id)
    if dag is None:
        print(f"DAG {args.dag_id!r} not found in {os.environ['AIRFLOW__CORE__DAGS_FOLDER']}", file=sys.stderr)
        return 2
    logical_date = pendulum.parse(args.logical_date) if args.logical_date else pendulum.now("UTC")
    dag_run = dag.test(
        logical_date=logical_date,
        run_conf=json.loads(args.conf),
        mark_success_pattern=args.mark_success_pattern,
    )
    instances = _task_instances(dag_run)
    states = {ti.task_id: str(ti.state) for ti in instances}
    timings = {
        ti.task_id: [
            ti.start_date.isoformat() if ti.start_date else None,
            ti.end_date.isoformat() if ti.end_date else None,
        ]
        for ti in instances
    }
    print(
        json.dumps(
            {
                "dag_id": args.dag_id,
                "run_id": dag_run.run_id,
                "state": str(dag_run.state),
                "tasks": states,
                "timings": timings,
            }
        )
    )
    return 0 if str(dag_run.state) == "success" else 1


def parse_report(output: str) -> dict:
    """Return the JSON report that ``main`` prints last, or an empty dict when there is none."""
    lines = [line for line in output.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _task_instances(dag_run):
    from airflow.utils.session import create_session

    with create_session() as session:
        instances = session.merge(dag_run).get_task_instances(session=session)
        for ti in instances:
            session.expunge(ti)
    return instances


if __name__ == "__main__":
    sys.exit(main())
