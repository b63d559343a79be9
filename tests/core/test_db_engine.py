"""db.engine gives a PostgreSQL URL without a driver the psycopg2 driver that COPY needs."""

from __future__ import annotations

import io

from sqlalchemy.engine import make_url

from customer_warehouse.db import engine


def test_bare_postgresql_url_copies_through_psycopg2(pg_database):
    url = make_url(pg_database("bare_url")).set(drivername="postgresql")
    eng = engine(url.render_as_string(hide_password=False))
    try:
        connection = eng.raw_connection()
        try:
            out = io.StringIO()
            connection.cursor().copy_expert("copy (select 1 as one) to stdout", out)
        finally:
            connection.close()
    finally:
        eng.dispose()
    assert out.getvalue() == "1\n"


def test_explicit_driver_is_kept(pg_database):
    url = make_url(pg_database("explicit_driver")).set(drivername="postgresql+psycopg")
    eng = engine(url)
    try:
        assert eng.dialect.driver == "psycopg"
    finally:
        eng.dispose()
