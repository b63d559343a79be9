"""Least privilege as code: the PostgreSQL roles of the warehouse and the vault, and their grants.

``cw access apply`` creates or updates the roles and sets every privilege the policy
below grants. It also revokes what the policy does not grant, including PUBLIC's default
CONNECT and TEMP on both databases and CREATE on schema ``public``. It is safe to repeat:
``cw init`` and the deployment's init step run it on every start.

| role (``<prefix><name>``) | warehouse database                     | vault database   |
|---------------------------|----------------------------------------|------------------|
| ``pipeline``              | owns every schema, may create schemas  | owns schema pii  |
| ``analyst``               | reads ``marts`` and ``dashboards``     | no CONNECT       |
| ``dashboard``             | reads ``dashboards`` (for Superset)    | no CONNECT       |
| ``privacy_officer``       | no CONNECT                             | may only call ``pii.reveal_identity`` |
| ``restorer``              | no CONNECT                             | no CONNECT       |

The ``restorer`` role may create databases (CREATEDB) and nothing else: restore drills
connect as it to create a scratch database on each server, restore a backup into it,
compare it with the backup's manifest and drop it. It owns what it restores there, and
no database of the project.

The prefix is ``CW_ROLE_PREFIX`` (default ``cw_``), because role names are shared by
every database of a PostgreSQL server. Each role is marked with a comment when created,
and ``apply`` refuses to alter a role of that name that lacks the mark. Passwords come
from the environment (``cw init`` generates them into ``secrets.env``), are sent as
SCRAM-SHA-256 verifiers and never as plain text, and are never logged.

Roles and grants are applied through the administrator URLs ``CW_ADMIN_URL`` and
``CW_VAULT_ADMIN_URL``, a superuser or the owner of the databases.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg2
from psycopg2 import sql
from sqlalchemy.engine import make_url

from customer_warehouse.config import Settings
from customer_warehouse.db import ensure_database, psycopg2_dsn

log = logging.getLogger(__name__)

# Role name suffix -> environment variable holding its password.
PASSWORD_VARIABLES = {
    "pipeline": "CW_PIPELINE_DB_PASSWORD",
    "analyst": "CW_ANALYST_DB_PASSWORD",
    "dashboard": "CW_DASHBOARD_DB_PASSWORD",
    "privacy_officer": "CW_PRIVACY_OFFICER_DB_PASSWORD",
    "restorer": "CW_RESTORER_DB_PASSWORD",
}
WAREHOUSE_ROLES = ("pipeline", "analyst", "dashboard", "restorer")
VAULT_ROLES = ("pipeline", "privacy_officer", "restorer")
READER_ROLES = ("analyst", "dashboard", "privacy_officer")
# Roles that may create databases: the scratch databases of restore drills.
CREATEDB_ROLES = ("restorer",)
# Schemas each reader role may read, all tables and views in them.
READABLE_SCHEMAS = {"analyst": ("marts", "dashboards"), "dashboard": ("dashboards",)}
ROLE_MARK = "customer_warehouse"
REVEAL_FUNCTION = "pii.reveal_identity(text, text)"
SCRAM_ITERATIONS = 4096

SCHEMAS_QUERY = (
    "select nspname from pg_namespace where nspname <> 'information_schema' "
    "and nspname not like 'pg\\_%' order by nspname"
)
# Relations of the project's schemas and their ALTER keyword. Sequences owned by a column
# follow their table and reject their own ALTER ... OWNER.
RELATIONS_QUERY = """
select n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
  and not exists (
      select 1 from pg_depend d
      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')
  )
order by n.nspname, c.relname
"""
ALTER_KEYWORD = {
    "r": "table",
    "p": "table",
    "v": "view",
    "m": "materialized view",
    "S": "sequence",
    "f": "foreign table",
}
FUNCTIONS_QUERY = """
select p.oid::regprocedure::text, pg_get_userbyid(p.proowner)
from pg_proc p join pg_namespace n on n.oid = p.pronamespace
where n.nspname = any(%s)
  and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')
"""


class AccessError(RuntimeError):
    """The access policy cannot be applied. The message names the role or setting and the fix."""


@dataclass(frozen=True)
class Server:
    """One PostgreSQL server the policy applies to: its admin URL, databases and roles."""

    admin_url: str
    databases: dict[str, str]  # "warehouse" or "vault" -> database name
    roles: tuple[str, ...]


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """Return the SCRAM-SHA-256 verifier PostgreSQL stores for ``password``.

    Sending the verifier rather than the password keeps the password out of the server's
    statement log. PostgreSQL normalizes non-ASCII passwords with SASLprep first, which
    this function does not, so it accepts ASCII passwords only.
    """
    if not password.isascii():
        raise AccessError("role passwords must be ASCII: generate them with secrets.token_urlsafe")
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def role_passwords(names: Iterable[str], env: dict[str, str] | None = None) -> dict[str, str]:
    """Return the password of each role in ``names`` from the environment; raise when one is missing."""
    env = dict(os.environ) if env is None else env
    missing = [PASSWORD_VARIABLES[name] for name in names if not env.get(PASSWORD_VARIABLES[name])]
    if missing:
        raise AccessError(
            f"{', '.join(missing)} not set: the database roles need passwords. Run `cw init` to "
            "generate them into secrets.env, or set them from your secrets backend."
        )
    return {name: env[PASSWORD_VARIABLES[name]] for name in names}


def servers(cfg: Settings) -> list[Server]:
    """Return the servers to configure: one when the vault shares the warehouse's server."""
    warehouse_db = make_url(cfg.warehouse_url).database or "warehouse"
    vault_db = make_url(cfg.vault_url).database or "vault"
    if not cfg.vault_admin_url or cfg.vault_admin_url == cfg.admin_url:
        roles = tuple(dict.fromkeys((*WAREHOUSE_ROLES, *VAULT_ROLES)))
        return [Server(cfg.admin_url, {"warehouse": warehouse_db, "vault": vault_db}, roles)]
    return [
        Server(cfg.admin_url, {"warehouse": warehouse_db}, WAREHOUSE_ROLES),
        Server(cfg.vault_admin_url, {"vault": vault_db}, VAULT_ROLES),
    ]


def _connect(url: str, database: str | None = None):
    parsed = make_url(url)
    if database:
        parsed = parsed.set(database=database)
    conn = psycopg2.connect(psycopg2_dsn(parsed))
    return conn


def _identifier(name: str) -> sql.Identifier:
    return sql.Identifier(name)


def ensure_role(cur, role: str, password: str, prefix: str, createdb: bool = False) -> bool:
    """Create ``role`` with LOGIN or update it; return True when it was created.

    Only a role with ``createdb`` may create databases; no role may create roles.

    Raises AccessError when a role of that name exists without the project's mark.
    """
    cur.execute("select shobj_description(oid, 'pg_authid') from pg_roles where rolname = %s", (role,))
    row = cur.fetchone()
    created = row is None
    if created:
        cur.execute(sql.SQL("create role {} login").format(_identifier(role)))
        cur.execute(
            sql.SQL("comment on role {} is {}").format(
                _identifier(role), sql.Literal(f"{ROLE_MARK}: created by cw access apply")
            )
        )
    elif not (row[0] or "").startswith(ROLE_MARK):
        raise AccessError(
            f"role {role} exists but was not created by `cw access apply`, so it is left unchanged: "
            f"choose another CW_ROLE_PREFIX (now {prefix!r}) or drop that role yourself"
        )
    cur.execute(
        sql.SQL(
            "alter role {} with login nosuperuser {} nocreaterole noreplication nobypassrls "
            "inherit password {}"
        ).format(
            _identifier(role),
            sql.SQL("createdb" if createdb else "nocreatedb"),
            sql.Literal(scram_verifier(password)),
        )
    )
    return created


def apply_access(cfg: Settings, env: dict[str, str] | None = None) -> None:
    """Create the roles, databases and schemas, then grant what the policy grants and revoke the rest."""
    from customer_warehouse.pii.vault import bootstrap_vault
    from customer_warehouse.warehouse import bootstrap

    targets = servers(cfg)
    passwords = role_passwords({name for server in targets for name in server.roles}, env)
    for server in targets:
        _ensure_server_roles(cfg, server, passwords)
        for kind, database in server.databases.items():
            ensure_database(make_url(server.admin_url).set(database=database))
            _prepare_database(cfg, server, kind)
    # Schemas and tables are created with the pipeline's own URLs, so on a fresh server
    # the pipeline role owns them from the start.
    bootstrap(cfg.warehouse_url).dispose()
    bootstrap_vault(cfg.vault_url)
    for server in targets:
        if "warehouse" in server.databases:
            _apply_warehouse(cfg, server)
        if "vault" in server.databases:
            _apply_vault(cfg, server)


def _ensure_server_roles(cfg: Settings, server: Server, passwords: dict[str, str]) -> None:
    conn = _connect(server.admin_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name in server.roles:
                role = cfg.role(name)
                created = ensure_role(cur, role, passwords[name], cfg.role_prefix, name in CREATEDB_ROLES)
                log.info(
                    "%s role %s on %s", "created" if created else "updated", role, _safe(server.admin_url)
                )
    finally:
        conn.close()


def _prepare_database(cfg: Settings, server: Server, kind: str) -> None:
    """Let the pipeline role connect and create schemas, and install pgcrypto in the warehouse."""
    database = server.databases[kind]
    conn = _connect(server.admin_url, database)
    try:
        with conn, conn.cursor() as cur:
            if kind == "warehouse":
                # The marts' pseudonymous keys are HMAC digests computed by pgcrypto.
                cur.execute("create extension if not exists pgcrypto")
            cur.execute(
                sql.SQL("grant connect, temporary, create on database {} to {}").format(
                    _identifier(database), _identifier(cfg.role("pipeline"))
                )
            )
    finally:
        conn.close()


def _safe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _project_schemas(cur) -> list[str]:
    cur.execute(SCHEMAS_QUERY)
    return [name for (name,) in cur.fetchall() if name != "public"]


def _transfer_ownership(cur, schemas: list[str], owner: str) -> int:
    """Make ``owner`` the owner of ``schemas`` and of every table, view, sequence and function in them."""
    changed = 0
    owner_id = _identifier(owner)
    cur.execute(
        "select nspname, pg_get_userbyid(nspowner) from pg_namespace where nspname = any(%s)", (schemas,)
    )
    for schema, current in cur.fetchall():
        if current != owner:
            cur.execute(sql.SQL("alter schema {} owner to {}").format(_identifier(schema), owner_id))
            changed += 1
    cur.execute(RELATIONS_QUERY, (schemas,))
    for schema, name, kind, current in cur.fetchall():
        if current != owner:
            statement = sql.SQL("alter {} {}.{} owner to {}").format(
                sql.SQL(ALTER_KEYWORD[kind]), _identifier(schema), _identifier(name), owner_id
            )
            cur.execute(statement)
            changed += 1
    cur.execute(FUNCTIONS_QUERY, (schemas,))
    for signature, current in cur.fetchall():
        if current != owner:
            # regprocedure text is already a quoted, schema-qualified signature.
            cur.execute(sql.SQL("alter function {} owner to {}").format(sql.SQL(signature), owner_id))
            changed += 1
    return changed


def _revoke_reader(cur, role: str, schemas: list[str]) -> None:
    """Revoke every privilege ``role`` holds on ``schemas`` and their objects."""
    role_id = _identifier(role)
    for schema in schemas:
        schema_id = _identifier(schema)
        cur.execute(sql.SQL("revoke all on schema {} from {}").format(schema_id, role_id))
        for kind in ("tables", "sequences", "functions"):
            cur.execute(
                sql.SQL("revoke all on all {} in schema {} from {}").format(sql.SQL(kind), schema_id, role_id)
            )


def _existing_roles(cur, roles: Iterable[str]) -> list[str]:
    wanted = list(roles)
    cur.execute("select rolname from pg_roles where rolname = any(%s)", (wanted,))
    found = {name for (name,) in cur.fetchall()}
    return [role for role in wanted if role in found]


def _lock_down(cur, cfg: Settings, database: str) -> tuple[list[str], int]:
    """Revoke PUBLIC's and the reader roles' privileges and give every object to the pipeline role.

    Returns the project's schemas and how many objects changed owner.
    """
    db = _identifier(database)
    cur.execute(sql.SQL("revoke all on database {} from public").format(db))
    cur.execute("revoke create on schema public from public")
    schemas = _project_schemas(cur)
    changed = _transfer_ownership(cur, schemas, cfg.role("pipeline"))
    for schema in schemas:
        cur.execute(sql.SQL("revoke all on all tables in schema {} from public").format(_identifier(schema)))
    for role in _existing_roles(cur, [cfg.role(name) for name in (*READER_ROLES, *CREATEDB_ROLES)]):
        cur.execute(sql.SQL("revoke all on database {} from {}").format(db, _identifier(role)))
        _revoke_reader(cur, role, [*schemas, "public"])
    return schemas, changed


def _apply_warehouse(cfg: Settings, server: Server) -> None:
    database = server.databases["warehouse"]
    pipeline = _identifier(cfg.role("pipeline"))
    conn = _connect(server.admin_url, database)
    try:
        with conn, conn.cursor() as cur:
            db = _identifier(database)
            for schema in ("marts", "dashboards"):
                cur.execute(
                    sql.SQL("create schema if not exists {} authorization {}").format(
                        _identifier(schema), pipeline
                    )
                )
            schemas, changed = _lock_down(cur, cfg, database)
            for name in ("analyst", "dashboard"):
                cur.execute(
                    sql.SQL("grant connect on database {} to {}").format(db, _identifier(cfg.role(name)))
                )
            grant_readers(cur, cfg.role_prefix)
            _grant_default_privileges(cur, cfg)
        log.info(
            "applied access policy to database %s on %s: %d schemas, %d objects given to %s",
            database,
            _safe(server.admin_url),
            len(schemas),
            changed,
            cfg.role("pipeline"),
        )
    finally:
        conn.close()


def grant_readers(cur, prefix: str) -> list[str]:
    """Grant the reader roles SELECT on every table and view of their schemas; return the roles granted.

    ``publish`` calls this after it replaces the marts, because a recreated table or view
    comes without the grants of the one it replaces. Roles that do not exist are skipped.
    """
    granted = []
    for name, schemas in READABLE_SCHEMAS.items():
        role = f"{prefix}{name}"
        if not _existing_roles(cur, [role]):
            continue
        for schema in schemas:
            cur.execute("select 1 from pg_namespace where nspname = %s", (schema,))
            if cur.fetchone() is None:
                continue
            ids = (_identifier(schema), _identifier(role))
            cur.execute(sql.SQL("grant usage on schema {} to {}").format(*ids))
            cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(*ids))
        granted.append(role)
    return granted


def _grant_default_privileges(cur, cfg: Settings) -> None:
    # Tables and views the pipeline role creates later are readable at once, before the
    # next publish re-grants them.
    pipeline = _identifier(cfg.role("pipeline"))
    for name, schemas in READABLE_SCHEMAS.items():
        for schema in schemas:
            cur.execute(
                sql.SQL(
                    "alter default privileges for role {} in schema {} grant select on tables to {}"
                ).format(pipeline, _identifier(schema), _identifier(cfg.role(name)))
            )


def _apply_vault(cfg: Settings, server: Server) -> None:
    database = server.databases["vault"]
    officer = _identifier(cfg.role("privacy_officer"))
    conn = _connect(server.admin_url, database)
    try:
        with conn, conn.cursor() as cur:
            db = _identifier(database)
            _, changed = _lock_down(cur, cfg, database)
            cur.execute(sql.SQL("grant connect on database {} to {}").format(db, officer))
            cur.execute(sql.SQL("grant usage on schema pii to {}").format(officer))
            cur.execute(sql.SQL("revoke all on function {} from public").format(sql.SQL(REVEAL_FUNCTION)))
            cur.execute(
                sql.SQL("grant execute on function {} to {}").format(sql.SQL(REVEAL_FUNCTION), officer)
            )
        log.info(
            "applied access policy to vault database %s on %s: %d objects given to %s",
            database,
            _safe(server.admin_url),
            changed,
            cfg.role("pipeline"),
        )
    finally:
        conn.close()


def drop_roles(admin_url: str, prefix: str, names: Iterable[str] | None = None) -> list[str]:
    """Drop the roles named ``<prefix>...`` that carry the project's mark; return their names.

    With ``names``, only the roles of those exact names are dropped. For tests and
    teardown: the databases the roles hold privileges in must be dropped first. A role
    without the mark is never dropped.
    """
    conn = _connect(admin_url)
    conn.autocommit = True
    dropped = []
    query = (
        "select rolname from pg_roles where starts_with(rolname, %s) "
        "and coalesce(shobj_description(oid, 'pg_authid'), '') like %s"
    )
    parameters: tuple = (prefix, f"{ROLE_MARK}%")
    if names is not None:
        query += " and rolname = any(%s)"
        parameters += (list(names),)
    try:
        with conn.cursor() as cur:
            cur.execute(query, parameters)
            for (role,) in cur.fetchall():
                cur.execute(sql.SQL("drop role {}").format(_identifier(role)))
                dropped.append(role)
    finally:
        conn.close()
    log.info("dropped roles %s", ", ".join(dropped) or "none")
    return dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cw access", description="Apply the database roles and grants.")
    parser.add_argument("action", choices=["apply"], help="create or update roles, grant and revoke")
    parser.parse_args(argv)
    cfg = Settings.from_env()
    try:
        apply_access(cfg)
    except AccessError as error:
        log.error("%s", error)
        return 1
    roles = ", ".join(cfg.role(name) for name in PASSWORD_VARIABLES)
    print(f"access policy applied: roles {roles}")
    return 0
