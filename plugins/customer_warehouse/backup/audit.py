"""Records of backups and restore drills in the warehouse (``audit.backups``, ``audit.restore_drills``).

Recording is best effort: a backup of the vault must not fail because the warehouse is
down. A failed write is logged as a warning with the backup id, and the work goes on.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import sqlalchemy as sa

from customer_warehouse.db import engine

log = logging.getLogger(__name__)

DDL_FILE = "030_backup.sql"


@dataclass(frozen=True)
class CheckOutcome:
    """Result of a drill or restore as recorded: passed or failed, what was compared, what differed."""

    status: str
    tables: int = 0
    rows: int = 0
    mismatches: list[dict] = field(default_factory=list)
    error: str | None = None

    @classmethod
    def failed(cls, error: BaseException) -> CheckOutcome:
        """Return the outcome of a drill or restore that raised ``error``."""
        result = getattr(error, "result", None)
        if result is not None:
            return cls("failed", result.tables, result.rows, result.mismatches, str(error)[:2000])
        return cls("failed", error=str(error)[:2000])

    def params(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "tables": self.tables,
            "rows": self.rows,
            "mismatches": json.dumps(self.mismatches),
            "error": self.error,
        }


class AuditLog:
    """Writes outcome rows to the warehouse at ``url``; creates the two tables on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._ready = False

    def _execute(self, statement: str, params: dict[str, Any], subject: str) -> Any:
        eng = engine(self.url)
        try:
            with eng.begin() as conn:
                if not self._ready:
                    ddl = resources.files("customer_warehouse").joinpath("sql", DDL_FILE).read_text()
                    conn.exec_driver_sql(ddl)
                    self._ready = True
                result = conn.execute(sa.text(statement), params)
                return result.scalar() if result.returns_rows else None
        except sa.exc.SQLAlchemyError as error:
            log.warning(
                "could not record %s in the warehouse audit tables: %s", subject, str(error).splitlines()[0]
            )
            return None
        finally:
            eng.dispose()

    def ensure_tables(self) -> None:
        """Create ``audit.backups`` and ``audit.restore_drills`` if missing."""
        self._execute("select 1", {}, "the audit tables")

    def backup_started(
        self, backup_id: str, database: str, source_database: str, run_id: str | None, location: str
    ) -> None:
        self._execute(
            "insert into audit.backups (backup_id, database_name, source_database, run_id, status, location) "
            "values (:backup_id, :database, :source, :run_id, 'running', :location) "
            "on conflict (backup_id) do update set status = 'running', error = null, "
            "started_at = now(), finished_at = null",
            {
                "backup_id": backup_id,
                "database": database,
                "source": source_database,
                "run_id": run_id,
                "location": location,
            },
            f"the start of backup {backup_id}",
        )

    def backup_finished(
        self, backup_id: str, status: str, fields: dict[str, Any] | None = None, error: str | None = None
    ) -> None:
        fields = fields or {}
        self._execute(
            "update audit.backups set status = :status, error = :error, finished_at = now(), "
            "size_bytes = :size_bytes, checksum_sha256 = :sha256, tables = :tables, "
            "rows_total = :rows_total, pg_dump_version = :pg_dump_version, "
            "recipient_fingerprints = :recipients where backup_id = :backup_id",
            {
                "backup_id": backup_id,
                "status": status,
                "error": error,
                "size_bytes": fields.get("size_bytes"),
                "sha256": fields.get("sha256"),
                "tables": fields.get("tables"),
                "rows_total": fields.get("rows_total"),
                "pg_dump_version": fields.get("pg_dump_version"),
                "recipients": fields.get("recipients"),
            },
            f"the outcome of backup {backup_id}",
        )

    def backups_deleted(self, backup_ids: list[str]) -> None:
        if backup_ids:
            self._execute(
                "update audit.backups set deleted_at = now() where backup_id = any(:ids)",
                {"ids": backup_ids},
                f"the deletion of {len(backup_ids)} backups",
            )

    def drill_started(self, kind: str, backup_id: str, database: str, target: str, run_id: str | None):
        return self._execute(
            "insert into audit.restore_drills (kind, backup_id, database_name, target_database, run_id, "
            "status) values (:kind, :backup_id, :database, :target, :run_id, 'running') returning drill_id",
            {"kind": kind, "backup_id": backup_id, "database": database, "target": target, "run_id": run_id},
            f"the start of the {kind} of {backup_id}",
        )

    def drill_finished(self, drill_id, backup_id: str, outcome: CheckOutcome) -> None:
        if drill_id is None:
            return
        self._execute(
            "update audit.restore_drills set status = :status, tables_checked = :tables, "
            "rows_checked = :rows, mismatches = cast(:mismatches as jsonb), error = :error, "
            "finished_at = now() where drill_id = :drill_id",
            {"drill_id": drill_id, **outcome.params()},
            f"the outcome of the drill of {backup_id}",
        )

    def restore_recorded(self, backup_id: str, database: str, target: str, outcome: CheckOutcome) -> None:
        """Insert the finished row of a real restore, which may have replaced this very warehouse."""
        self._execute(
            "insert into audit.restore_drills (kind, backup_id, database_name, target_database, status, "
            "tables_checked, rows_checked, mismatches, error, finished_at) values ('restore', :backup_id, "
            ":database, :target, :status, :tables, :rows, cast(:mismatches as jsonb), :error, now())",
            {"backup_id": backup_id, "database": database, "target": target, **outcome.params()},
            f"the restore of {backup_id}",
        )
