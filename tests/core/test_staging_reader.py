"""staging_reader opens sessions with nested loops off, whatever the server's default."""

from __future__ import annotations

import sqlalchemy as sa

from customer_warehouse.db import staging_reader


def _nestloop_setting(eng) -> str:
    try:
        with eng.connect() as conn:
            return conn.scalar(sa.text("show enable_nestloop"))
    finally:
        eng.dispose()


def test_staging_reader_turns_nested_loops_off(pg_database):
    url = pg_database("staging_reader")
    assert _nestloop_setting(staging_reader(url)) == "off"
