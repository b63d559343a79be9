"""Helpers the DAG files share: the failure callback and small XCom-friendly summaries."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

# Error texts are cut to this length before they are stored, so a huge traceback cannot
# bloat the alert table.
MAX_ERROR_CHARS = 2000


def notify_failure(context: dict[str, Any]) -> None:
    """Log a failed task and record it in ``audit.task_failures``.

    Runs as the ``on_failure_callback`` of every task. Recording is best effort: when the
    warehouse itself is unreachable the failure is still logged and the callback returns.
    """
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", None) or "unknown"
    task_id = getattr(ti, "task_id", None) or "unknown"
    run_id = context.get("run_id") or getattr(ti, "run_id", None)
    try_number = getattr(ti, "try_number", None)
    error = str(context.get("exception") or "")[:MAX_ERROR_CHARS]
    log.error("task %s.%s failed (run %s, try %s): %s", dag_id, task_id, run_id, try_number, error)
    try:
        import sqlalchemy as sa

        from customer_warehouse.config import settings
        from customer_warehouse.db import engine

        eng = engine(settings().warehouse_url)
        with eng.begin() as conn:
            conn.execute(
                sa.text(
                    "insert into audit.task_failures (dag_id, task_id, run_id, try_number, error) "
                    "values (:dag_id, :task_id, :run_id, :try_number, :error)"
                ),
                {
                    "dag_id": dag_id,
                    "task_id": task_id,
                    "run_id": run_id,
                    "try_number": try_number,
                    "error": error,
                },
            )
        eng.dispose()
    except Exception as exc:  # noqa: BLE001 - an alert must never raise from the callback
        log.warning("could not record the failure of %s.%s in audit.task_failures: %s", dag_id, task_id, exc)


def default_task_args() -> dict[str, Any]:
    """Return the ``default_args`` every task of the project's DAGs shares: owner, retries, failure callback.

    ``CW_TASK_RETRIES`` sets the retries (default 2), five minutes apart and growing.
    """
    return {
        "owner": "data-engineering",
        "retries": int(os.environ.get("CW_TASK_RETRIES", "2")),
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "on_failure_callback": notify_failure,
    }


def batch_ids_of(results: Iterable[Any]) -> list[str]:
    """Return the batch ids of load results that wrote rows, for the raw expectation suite."""
    return [r.batch_id for r in results if r.rows_loaded > 0]


def outcome_summary(outcome: Any) -> dict[str, Any]:
    """Reduce a quality-gate outcome to a small JSON-serializable dict for XCom."""
    fields = ("suite", "evaluated", "passed", "critical_failures", "warnings", "data_docs_index")
    summary = {}
    for name in fields:
        value = getattr(outcome, name, None)
        if isinstance(value, list | tuple):
            value = len(value)
        summary[name] = value if value is None or isinstance(value, int | float | bool) else str(value)
    return summary
