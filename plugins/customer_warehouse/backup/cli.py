"""``cw backup run|list|drill|restore|keygen``: encrypted backups from the command line."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from customer_warehouse.config import BackupSettings

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cw backup", description="Encrypted backups and restore drills.")
    sub = parser.add_subparsers(dest="command", required=True)
    databases_help = "logical database name, e.g. warehouse (repeatable; default: CW_BACKUP_DATABASES)"
    run = sub.add_parser("run", help="back up each configured database, then apply the retention policy")
    run.add_argument("--database", action="append", help=databases_help)
    run.add_argument("--no-retention", action="store_true", help="keep every stored backup this time")
    listing = sub.add_parser("list", help="list the stored backups, newest first")
    listing.add_argument("--database", action="append", help=databases_help)
    drill = sub.add_parser("drill", help="restore the newest backups into scratch databases and compare")
    drill.add_argument("--database", action="append", help=databases_help)
    restore = sub.add_parser("restore", help="restore a backup into its database or a new one")
    restore.add_argument("--database", required=True, help="logical database name, e.g. warehouse")
    restore.add_argument("--backup", help="backup id from `cw backup list` (default: the newest)")
    restore.add_argument("--target-database", help="database to restore into (default: the configured one)")
    restore.add_argument(
        "--overwrite", action="store_true", help="replace the target even when it contains tables"
    )
    keygen = sub.add_parser("keygen", help="write a new age identity to a file and print its public key")
    keygen.add_argument("--output", required=True, help="identity file to create (mode 0600)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "keygen":
        return keygen(Path(args.output))
    from customer_warehouse.backup.errors import OPERATOR_ERRORS

    cfg = BackupSettings.from_env()
    try:
        if args.command == "run":
            return run(cfg, args.database, retention=not args.no_retention)
        if args.command == "list":
            return list_command(cfg, args.database)
        if args.command == "drill":
            return drill(cfg, args.database)
        return restore(cfg, args)
    except OPERATOR_ERRORS as error:
        print(f"cw backup {args.command}: {error}", file=sys.stderr)
        return 1


def run(cfg: BackupSettings, databases: list[str] | None, retention: bool = True) -> int:
    from customer_warehouse.backup.dump import DatabaseMissingError, back_up_database
    from customer_warehouse.backup.retention import apply_retention

    def back_up(database: str) -> None:
        result = back_up_database(cfg, database, run_id=_manual_run_id())
        print(
            f"{result.backup_id}  {result.size_bytes:>14,} bytes  {result.tables} tables  {result.location}"
        )
        if retention:
            apply_retention(cfg, database)

    return _each_database(databases or cfg.databases, "backup", back_up, skip=(DatabaseMissingError,))


def list_command(cfg: BackupSettings, databases: list[str] | None) -> int:
    from customer_warehouse.backup.catalog import list_backups, orphan_keys
    from customer_warehouse.backup.store import open_store

    store = open_store(cfg)
    print(f"backups in {store.uri}")
    print(f"{'backup id':<36} {'created (UTC)':<20} {'bytes':>14} {'tables':>6} {'rows':>12}  recipients")
    for database in databases or cfg.databases:
        for backup in list_backups(store, database):
            m = backup.manifest
            rows = sum(t.rows for t in m.tables.values())
            print(
                f"{m.backup_id:<36} {backup.created:%Y-%m-%d %H:%M:%S} {m.size_bytes:>14,} "
                f"{len(m.tables):>6} {rows:>12,}  {' '.join(m.recipients)}"
            )
        for key in orphan_keys(store, database):
            print(f"incomplete (no manifest): {key}")
    return 0


def drill(cfg: BackupSettings, databases: list[str] | None) -> int:
    from customer_warehouse.backup.catalog import BackupNotFoundError
    from customer_warehouse.backup.restore import run_drill

    def check(database: str) -> None:
        result = run_drill(cfg, database, run_id=_manual_run_id())
        print(f"{result.backup_id}: drill passed, {result.tables} tables and {result.rows:,} rows match")

    # Without --database a database that has no backup yet is skipped; named ones must have one.
    skip = () if databases else (BackupNotFoundError,)
    return _each_database(databases or cfg.databases, "restore drill", check, skip=skip)


def _each_database(databases, label: str, action, skip: tuple[type[Exception], ...]) -> int:
    """Run ``action`` on each database; report failures and go on; return the exit code."""
    from customer_warehouse.backup.errors import OPERATOR_ERRORS

    failed = []
    for database in databases:
        try:
            action(database)
        except skip as error:
            log.warning("no %s of database %s: %s", label, database, error)
        except OPERATOR_ERRORS as error:
            print(f"{label} of {database} failed: {error}", file=sys.stderr)
            failed.append(database)
    return 1 if failed else 0


def restore(cfg: BackupSettings, args: argparse.Namespace) -> int:
    from customer_warehouse.backup.restore import restore_backup

    result = restore_backup(
        cfg,
        args.database,
        backup_id=args.backup,
        target_database=args.target_database,
        overwrite=args.overwrite,
    )
    print(
        f"restored {result.backup_id} into database {result.target_database}: "
        f"{result.tables} tables and {result.rows:,} rows match the manifest"
    )
    return 0


def keygen(path: Path) -> int:
    from customer_warehouse.backup.keys import fingerprint, generate_keypair

    identity, recipient = generate_keypair()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"cw backup keygen: {path} already exists; choose another file", file=sys.stderr)
        return 1
    with os.fdopen(fd, "w") as stream:
        stream.write(f"# created: {datetime.now(UTC).isoformat(timespec='seconds')}\n")
        stream.write(f"# public key: {recipient}\n{identity}\n")
    print(f"wrote a new age identity to {path} (mode 0600); keep it off the hosts that only back up")
    print(f"public key (for CW_BACKUP_RECIPIENTS): {recipient}")
    print(f"fingerprint: {fingerprint(recipient)}")
    return 0


def _manual_run_id() -> str:
    return f"manual__{datetime.now(UTC).isoformat(timespec='seconds')}"
