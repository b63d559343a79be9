"""Encrypted backups of the project's PostgreSQL databases, retention and restore drills.

- ``back_up_database``: pg_dump of one database, encrypted with age, stored with its
  SHA-256 and manifest in a folder or an S3-compatible bucket.
- ``apply_retention``: deletes the backups the daily/weekly/monthly policy no longer needs.
- ``run_drill``: restores the newest backup into a scratch database and compares every
  table with the manifest.
- ``restore_backup``: restores a backup for real, into the database or a new one.
- ``main``: the command line, ``cw backup run|list|drill|restore|keygen``.
"""

from customer_warehouse.backup.cli import main
from customer_warehouse.backup.dump import BackupResult, DatabaseMissingError, back_up_database
from customer_warehouse.backup.restore import RestoreResult, restore_backup, run_drill
from customer_warehouse.backup.retention import RetentionPolicy, apply_retention

__all__ = [
    "BackupResult",
    "DatabaseMissingError",
    "RestoreResult",
    "RetentionPolicy",
    "apply_retention",
    "back_up_database",
    "main",
    "restore_backup",
    "run_drill",
]
