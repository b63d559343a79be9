"""Connections to the warehouse and the platform database, and database creation."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

log = logging.getLogger(__name__)


def engine(url: str | URL, **kwargs) -> Engine:
    """Return an engine for ``url``; a PostgreSQL URL without a driver gets psycopg2.

    The loaders and identity storage use psycopg2's COPY interface. SQLAlchemy picks
    psycopg 3 for a bare ``postgresql://`` URL where that package is installed (Airflow
    brings it), and its cursors have no ``copy_expert``.
    """
    url = make_url(url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg2")
    return sa.create_engine(url, pool_pre_ping=True, future=True, **kwargs)


def staging_reader(url: str | URL) -> Engine:
    """Return an engine for queries that join the warehouse's staging views, with nested loops off.

    PostgreSQL estimates a staging view (the latest version per key) at 0.5% of its rows,
    and at 4 rows or fewer when the raw tables were loaded but not analyzed yet. So it joins
    two of them with a nested loop whose cost grows with the product of both sides. The
    authenticity facts query got such a plan over 100,000 shop customers and 230,000 orders
    on a freshly loaded warehouse. dbt sessions turn nested loops off for the same reason
    (``Settings.dbt_env``).
    """
    return engine(url, connect_args={"options": "-c enable_nestloop=off"})


def ensure_database(url: str | URL) -> bool:
    """Create the database named in ``url`` if it is missing; return True if it was created.

    Works for PostgreSQL and MySQL/MariaDB. The server-level connection uses the same
    credentials with the maintenance database (``postgres``) or no database (MySQL).
    """
    url = make_url(url)
    name = url.database
    if not name:
        raise ValueError(f"URL {url.render_as_string(hide_password=True)} names no database")
    backend = url.get_backend_name()
    if backend == "postgresql":
        admin = engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("select 1 from pg_database where datname = :n"), {"n": name})
            if not exists:
                conn.execute(sa.text(f'create database "{name}"'))
        admin.dispose()
    elif backend in ("mysql", "mariadb"):
        # URL.set(database=None) keeps the database in SQLAlchemy 2.1, so replace the field.
        admin = engine(url._replace(database=None), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("select 1 from information_schema.schemata where schema_name = :n"), {"n": name}
            )
            if not exists:
                conn.execute(sa.text(f"create database `{name}` character set utf8mb4"))
        admin.dispose()
    else:
        raise ValueError(f"unsupported database backend {backend!r}: use PostgreSQL or MySQL/MariaDB")
    if not exists:
        log.info("created database %s on %s", name, url.host)
    return not exists


def database_exists(url: str | URL) -> bool:
    """Return True when the PostgreSQL server of ``url`` has the database it names."""
    url = make_url(url)
    admin = engine(url.set(database="postgres"))
    try:
        with admin.connect() as conn:
            query = sa.text("select 1 from pg_database where datname = :n")
            return bool(conn.scalar(query, {"n": url.database}))
    finally:
        admin.dispose()


def drop_database(url: str | URL) -> None:
    """Drop the database named in ``url`` if it exists (used by tests and ``cw demo --fresh``)."""
    url = make_url(url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        admin = engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'drop database if exists "{url.database}" with (force)'))
    else:
        # URL.set(database=None) keeps the database in SQLAlchemy 2.1, so replace the field.
        admin = engine(url._replace(database=None), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"drop database if exists `{url.database}`"))
    admin.dispose()


def psycopg2_dsn(url: str | URL) -> str:
    """Return a libpq connection string for psycopg2 ``COPY`` connections."""
    url = make_url(url)
    parts = {
        "host": url.host or "127.0.0.1",
        "port": str(url.port or 5432),
        "dbname": url.database,
        "user": url.username or "postgres",
    }
    if url.password:
        parts["password"] = url.password
    for key, value in url.query.items():
        parts[key] = value if isinstance(value, str) else value[-1]
    return " ".join(f"{k}='{v}'" for k, v in parts.items())
