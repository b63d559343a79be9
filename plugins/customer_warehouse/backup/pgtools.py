"""PostgreSQL side of backups: pg_dump and pg_restore, snapshots, table fingerprints.

Connection settings reach pg_dump and pg_restore through libpq environment variables
(``PGHOST``, ``PGPASSWORD``...), never on the command line, where any local user could
read a password in the process list.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from psycopg2 import errors, sql
from sqlalchemy.engine import URL, make_url

from customer_warehouse.backup.manifest import TableFingerprint
from customer_warehouse.db import psycopg2_dsn

log = logging.getLogger(__name__)

# Text output of values must not depend on the session: the same rows give the same
# checksum at backup time and after a restore, whatever the client's defaults are.
STABLE_OUTPUT_SETTINGS = (
    "set local timezone = 'UTC'",
    "set local datestyle = 'ISO, YMD'",
    "set local intervalstyle = 'postgres'",
    "set local extra_float_digits = 1",
    "set local bytea_output = 'hex'",
    "set local lc_monetary = 'C'",
)

# Ordinary tables of user schemas, partitions included, partitioned parents and tables
# that belong to an extension left out (pg_dump handles those itself).
TABLES_SQL = """
select n.nspname, c.relname
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r'
  and n.nspname <> 'information_schema'
  and n.nspname not like 'pg\\_%'
  and not exists (
      select 1 from pg_depend d
      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'
  )
order by 1, 2
"""

# Order-independent checksum of a table: the sum of the first 64 bits of each row's md5.
# Unlike md5 of the sorted rows it needs no sort and no single text value of the whole
# table (PostgreSQL caps text at 1 GB). Any changed, added or removed row changes it
# except with chance about 2^-64; the encryption and the SHA-256 of the file guard
# against deliberate changes.
CHECKSUM_SQL = """
select rows, md5(rows::text || ':' || coalesce(total, 0)::text)
from (
    select count(*) as rows,
           sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric) as total
    from {table} as t
) as sums
"""


class PgToolError(RuntimeError):
    """pg_dump or pg_restore failed."""


def server_url(url: str | URL, database: str) -> str:
    """Return ``url`` with another database name on the same server."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def safe_url(url: str | URL) -> str:
    return make_url(url).render_as_string(hide_password=True)


def libpq_env(url: str | URL) -> dict[str, str]:
    url = make_url(url)
    env = {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGDATABASE": url.database or "postgres",
    }
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    sslmode = url.query.get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode if isinstance(sslmode, str) else sslmode[-1]
    return env


def tool(name: str, bin_dir: Path | None) -> str:
    return str(bin_dir / name) if bin_dir else name


def pg_dump_version(bin_dir: Path | None) -> str:
    result = subprocess.run([tool("pg_dump", bin_dir), "--version"], capture_output=True, text=True)
    if result.returncode != 0:
        raise PgToolError(f"pg_dump --version failed: {result.stderr.strip()}; set CW_PG_BIN_DIR")
    return result.stdout.strip()


def start_dump(url: str, path: Path, snapshot: str, lock_timeout_s: int, bin_dir: Path | None):
    """Start pg_dump of ``url`` into ``path`` (custom format) in the exported ``snapshot``."""
    cmd = [
        tool("pg_dump", bin_dir),
        "--format=custom",
        "--no-password",
        f"--file={path}",
        f"--snapshot={snapshot}",
        f"--lock-wait-timeout={lock_timeout_s * 1000}",
    ]
    return subprocess.Popen(cmd, env=libpq_env(url), stderr=subprocess.PIPE, text=True)


def finish_dump(process: subprocess.Popen, database: str) -> None:
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise PgToolError(
            f"pg_dump of database {database} failed with exit code {process.returncode}: "
            f"{stderr.strip()[-2000:]}"
        )


def restore(url: str, path: Path, bin_dir: Path | None, keep_owners: bool = True) -> None:
    """Restore a custom-format dump into the (empty) database of ``url``; stop at the first error.

    With ``keep_owners`` False, the role of ``url`` owns every restored object and no grant
    is restored, so a role that is neither a superuser nor a member of the original owners
    can restore (a restore drill's role).
    """
    database = make_url(url).database
    cmd = [tool("pg_restore", bin_dir), "--exit-on-error", "--no-password", f"--dbname={database}"]
    if not keep_owners:
        cmd += ["--no-owner", "--no-privileges"]
    cmd.append(str(path))
    result = subprocess.run(cmd, env=libpq_env(url), capture_output=True, text=True)
    if result.returncode != 0:
        raise PgToolError(
            f"pg_restore into database {database} failed with exit code {result.returncode}: "
            f"{result.stderr.strip()[-2000:]}"
        )


def connect(url: str | URL):
    return psycopg2.connect(psycopg2_dsn(url))


@contextmanager
def exported_snapshot(url: str, lock_timeout_s: int) -> Iterator[tuple[object, str]]:
    """Yield a connection in a read-only repeatable-read transaction and its exported snapshot id.

    pg_dump started with ``--snapshot`` sees exactly the data this transaction sees, so
    fingerprints taken here describe the dump. The transaction stays open until the block
    ends. Like pg_dump, it gives up on a table lock after ``lock_timeout_s`` seconds.
    """
    conn = connect(url)
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with conn.cursor() as cursor:
            cursor.execute("select set_config('lock_timeout', %s, true)", (f"{lock_timeout_s}s",))
            cursor.execute("select pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        yield conn, snapshot
        conn.rollback()
    finally:
        conn.close()


def table_fingerprints(conn) -> dict[str, TableFingerprint]:
    """Return row count and checksum of every user table, in the connection's transaction."""
    fingerprints = {}
    with conn.cursor() as cursor:
        for statement in STABLE_OUTPUT_SETTINGS:
            cursor.execute(statement)
        cursor.execute(TABLES_SQL)
        tables = cursor.fetchall()
        for schema, name in tables:
            table = sql.Identifier(schema, name)
            cursor.execute(sql.SQL(CHECKSUM_SQL).format(table=table))
            rows, checksum = cursor.fetchone()
            fingerprints[f"{schema}.{name}"] = TableFingerprint(rows=rows, checksum=checksum)
    return fingerprints


def fingerprints_of(url: str) -> dict[str, TableFingerprint]:
    """Return the table fingerprints of a database as it is now, in one consistent snapshot."""
    conn = connect(url)
    try:
        conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        result = table_fingerprints(conn)
        conn.rollback()
        return result
    finally:
        conn.close()


def database_info(conn) -> dict[str, str]:
    """Return the server version and the encoding and locale of the connection's database."""
    with conn.cursor() as cursor:
        cursor.execute(
            "select current_database(), pg_encoding_to_char(encoding), datcollate, datctype, "
            "current_setting('server_version') from pg_database where datname = current_database()"
        )
        name, encoding, collate, ctype, version = cursor.fetchone()
    return {"name": name, "encoding": encoding, "collate": collate, "ctype": ctype, "server_version": version}


@contextmanager
def admin_connection(url: str | URL) -> Iterator[object]:
    """Yield an autocommit connection to the server's ``postgres`` database."""
    conn = connect(make_url(url).set(database="postgres"))
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def database_exists(url: str | URL) -> bool:
    with admin_connection(url) as conn, conn.cursor() as cursor:
        cursor.execute("select 1 from pg_database where datname = %s", (make_url(url).database,))
        return cursor.fetchone() is not None


def user_table_count(url: str | URL) -> int:
    """Return the number of tables, views and sequences in the database outside the system schemas."""
    conn = connect(url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                "where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') "
                "and n.nspname <> 'information_schema' and n.nspname not like 'pg\\_%'"
            )
            return cursor.fetchone()[0]
    finally:
        conn.close()


def create_database(url: str | URL, encoding: str, collate: str, ctype: str) -> None:
    """Create an empty database from template0 with the encoding and locale of the backup."""
    name = make_url(url).database
    statement = sql.SQL("create database {} template template0 encoding {} lc_collate {} lc_ctype {}").format(
        sql.Identifier(name), sql.Literal(encoding), sql.Literal(collate), sql.Literal(ctype)
    )
    with admin_connection(url) as conn, conn.cursor() as cursor:
        try:
            cursor.execute(statement)
        except errors.InsufficientPrivilege as error:
            raise PgToolError(
                f"role {make_url(url).username} may not create database {name} on {make_url(url).host}: "
                "connect as a role with CREATEDB. For restore drills set CW_BACKUP_DRILL_URL_<DATABASE> "
                "to the restorer role that `cw access apply` creates (<prefix>restorer)"
            ) from error
    log.info("created database %s on %s", name, make_url(url).host)


def drop_database(url: str | URL) -> None:
    name = make_url(url).database
    with admin_connection(url) as conn, conn.cursor() as cursor:
        cursor.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def rename_database(url: str | URL, old: str, new: str, attempts: int = 3) -> None:
    """Rename database ``old`` to ``new``, disconnecting the sessions that use ``old`` first."""
    statement = sql.SQL("alter database {} rename to {}").format(sql.Identifier(old), sql.Identifier(new))
    with admin_connection(url) as conn, conn.cursor() as cursor:
        for attempt in range(1, attempts + 1):
            cursor.execute(
                "select pg_terminate_backend(pid) from pg_stat_activity "
                "where datname = %s and pid <> pg_backend_pid()",
                (old,),
            )
            try:
                cursor.execute(statement)
                return
            except psycopg2.errors.ObjectInUse:
                if attempt == attempts:
                    raise
                log.warning("database %s was in use again while renaming it (attempt %d)", old, attempt)
                time.sleep(attempt)
