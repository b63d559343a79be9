"""The errors of backups an operator can act on; commands print them without a traceback."""

from __future__ import annotations

from customer_warehouse.backup.catalog import BackupNotFoundError
from customer_warehouse.backup.dump import BackupExistsError, DatabaseMissingError
from customer_warehouse.backup.keys import BackupKeyError
from customer_warehouse.backup.manifest import ManifestError
from customer_warehouse.backup.pgtools import PgToolError
from customer_warehouse.backup.restore import (
    ChecksumMismatchError,
    IdentityMismatchError,
    RestoreMismatchError,
    TargetNotEmptyError,
)
from customer_warehouse.backup.store import StoreError

OPERATOR_ERRORS = (
    BackupExistsError,
    BackupKeyError,
    BackupNotFoundError,
    ChecksumMismatchError,
    DatabaseMissingError,
    IdentityMismatchError,
    ManifestError,
    PgToolError,
    RestoreMismatchError,
    StoreError,
    TargetNotEmptyError,
)
