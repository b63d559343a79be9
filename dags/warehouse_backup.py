"""
### Warehouse backup, daily

Encrypted backups of the project's PostgreSQL databases, checked by a restore drill and
pruned by a retention policy. For each database in `CW_BACKUP_DATABASES` (default
`warehouse,vault,airflow,superset`; a database that does not exist is skipped):

1. **bootstrap_backup_audit**: create `audit.backups` and `audit.restore_drills` if missing.
2. **backup_&lt;database&gt;**: `pg_dump --format=custom` in one snapshot, in which
   every table's row count and checksum are taken too. The dump is encrypted with age to
   `CW_BACKUP_RECIPIENTS` and stored with its SHA-256 and a JSON manifest in
   `CW_BACKUP_DIR` (default `$CW_HOME/backups`) or in the bucket of `CW_BACKUP_S3_URI`.
   The plain dump exists only in a private temporary folder, deleted even on failure.
3. **restore_drill_&lt;database&gt;**: restore that backup into
   `<database>_restore_drill`, compare every table with the manifest, drop the scratch
   database. Skipped when no identity is configured (`CW_BACKUP_IDENTITY_FILE` or
   `CW_BACKUP_IDENTITY`), so backup hosts never need the private key.
4. **apply_retention_&lt;database&gt;**: delete the backups that the policy
   (`CW_BACKUP_KEEP_DAILY`, `_WEEKLY`, `_MONTHLY`) no longer needs, never the newest.
   Runs only after a successful backup whose drill passed or was skipped.

Outcomes land in `audit.backups` and `audit.restore_drills` of the warehouse.
Restore by hand with `cw backup restore --database NAME`.
"""

from __future__ import annotations

import logging
import os

import pendulum
from airflow.sdk import TriggerRule, dag, task

from customer_warehouse.airflow_support import default_task_args
from customer_warehouse.config import backup_databases

log = logging.getLogger(__name__)


@dag(
    dag_id="warehouse_backup",
    schedule=os.environ.get("CW_BACKUP_SCHEDULE", "0 3 * * *"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_task_args(),
    tags=["customer-warehouse", "daily", "backup"],
    doc_md=__doc__,
)
def warehouse_backup():
    @task
    def bootstrap_backup_audit() -> None:
        from customer_warehouse.backup.audit import AuditLog
        from customer_warehouse.config import BackupSettings

        AuditLog(BackupSettings.from_env().audit_url).ensure_tables()

    @task
    def backup(database: str, run_id: str | None = None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from customer_warehouse.backup import DatabaseMissingError, back_up_database
        from customer_warehouse.config import BackupSettings

        try:
            return back_up_database(BackupSettings.from_env(), database, run_id=run_id).summary()
        except DatabaseMissingError as error:
            raise AirflowSkipException(f"{error}: nothing to back up") from error

    @task
    def restore_drill(backup_summary: dict, database: str, run_id: str | None = None) -> dict:
        from airflow.sdk.exceptions import AirflowSkipException

        from customer_warehouse.backup import run_drill
        from customer_warehouse.backup.keys import IDENTITY_FILE_VARIABLE, IDENTITY_VARIABLE
        from customer_warehouse.config import BackupSettings

        if not (os.environ.get(IDENTITY_FILE_VARIABLE) or os.environ.get(IDENTITY_VARIABLE)):
            raise AirflowSkipException(
                f"no backup identity on this worker ({IDENTITY_FILE_VARIABLE} is unset): "
                f"run `cw backup drill --database {database}` where the identity is"
            )
        result = run_drill(BackupSettings.from_env(), database, run_id=run_id)
        if result.backup_id != backup_summary["backup_id"]:
            log.warning(
                "drill of %s checked backup %s, newer than this run's %s",
                database,
                result.backup_id,
                backup_summary["backup_id"],
            )
        return result.summary()

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def apply_retention(backup_summary: dict, database: str) -> dict:
        from customer_warehouse.backup import apply_retention as prune
        from customer_warehouse.config import BackupSettings

        kept_backups, deleted = prune(BackupSettings.from_env(), database)
        return {"kept": [b.backup_id for b in kept_backups], "deleted": [b.backup_id for b in deleted]}

    audit_ready = bootstrap_backup_audit()
    for database in backup_databases():
        backed_up = backup.override(task_id=f"backup_{database}")(database)
        drilled = restore_drill.override(task_id=f"restore_drill_{database}")(backed_up, database)
        pruned = apply_retention.override(task_id=f"apply_retention_{database}")(backed_up, database)
        audit_ready >> backed_up
        drilled >> pruned


warehouse_backup()
