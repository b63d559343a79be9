"""Connect as one database role and report whether a statement was allowed."""

from __future__ import annotations

import psycopg2
import psycopg2.errors

from customer_warehouse.db import psycopg2_dsn


def connect(url: str):
    conn = psycopg2.connect(psycopg2_dsn(url))
    conn.autocommit = True
    return conn


def fetch(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def refusal(url: str, statement: str, params: tuple = ()) -> str | None:
    """Return the error of ``statement`` run as the URL's role, or None when it succeeded."""
    try:
        fetch(url, statement, params)
    except psycopg2.Error as error:
        return str(error).strip().splitlines()[0]
    return None


def relations(admin_url: str, schema: str) -> list[str]:
    rows = fetch(
        admin_url,
        "select format('%%I.%%I', table_schema, table_name) from information_schema.tables "
        "where table_schema = %s order by table_name",
        (schema,),
    )
    return [name for (name,) in rows]
