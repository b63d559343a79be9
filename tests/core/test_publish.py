"""Publishing candidate marts replaces the published tables atomically and keeps their identity."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from customer_warehouse.publish import publish_marts
from customer_warehouse.warehouse import bootstrap


@pytest.fixture()
def warehouse_url(pg_database):
    url = pg_database("publish")
    eng = bootstrap(url)
    with eng.begin() as conn:
        conn.execute(sa.text("create schema marts_build"))
        conn.execute(sa.text("create table marts_build.dim_x (k text primary key, v int)"))
        conn.execute(sa.text("insert into marts_build.dim_x values ('a', 1), ('b', 2)"))
    eng.dispose()
    return url


def _rows(url: str, sql: str):
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    eng.dispose()
    return rows


def test_publish_copies_candidates(warehouse_url):
    published = publish_marts(warehouse_url, run_id="r1")
    assert [(p.table, p.rows) for p in published] == [("dim_x", 2)]
    assert _rows(warehouse_url, "select k, v from marts.dim_x order by k") == [("a", 1), ("b", 2)]


def test_publish_keeps_views_valid(warehouse_url):
    publish_marts(warehouse_url, run_id="r1")
    eng = sa.create_engine(warehouse_url)
    with eng.begin() as conn:
        conn.execute(sa.text("create view public.x_view as select k from marts.dim_x"))
        conn.execute(sa.text("insert into marts_build.dim_x values ('c', 3)"))
    eng.dispose()
    publish_marts(warehouse_url, run_id="r2")
    assert _rows(warehouse_url, "select count(*) from public.x_view") == [(3,)]


def test_publish_recreates_changed_table(warehouse_url):
    publish_marts(warehouse_url, run_id="r1")
    eng = sa.create_engine(warehouse_url)
    with eng.begin() as conn:
        conn.execute(sa.text("alter table marts_build.dim_x add column w text default 'z'"))
    eng.dispose()
    publish_marts(warehouse_url, run_id="r2")
    assert _rows(warehouse_url, "select w from marts.dim_x where k = 'a'") == [("z",)]


def test_publish_records_run(warehouse_url):
    publish_marts(warehouse_url, run_id="r9")
    rows = _rows(warehouse_url, "select run_id, table_name, rows_published from audit.mart_publications")
    assert rows == [("r9", "marts.dim_x", 2)]


def test_publish_without_candidates_fails(pg_database):
    url = pg_database("publish_empty")
    bootstrap(url).dispose()
    with pytest.raises(RuntimeError, match="no candidate marts in schema marts_build"):
        publish_marts(url)


def test_publish_regrants_recreated_table(warehouse_url, tmp_path, role_prefix, role_passwords):
    from dataclasses import replace

    from customer_warehouse.access import apply_access
    from tests.access.support import refusal
    from tests.support import make_settings

    cfg = replace(make_settings(tmp_path, warehouse_url), role_prefix=role_prefix)
    publish_marts(warehouse_url, run_id="r1")
    apply_access(cfg)
    analyst = cfg.role_url("analyst")
    assert refusal(analyst, "select count(*) from marts.dim_x") is None
    eng = sa.create_engine(warehouse_url)
    with eng.begin() as conn:
        conn.execute(sa.text("alter table marts_build.dim_x add column w text default 'z'"))
    eng.dispose()
    publish_marts(warehouse_url, run_id="r2")
    assert refusal(analyst, "select w from marts.dim_x") is None
    error = refusal(cfg.role_url("dashboard"), "select * from marts.dim_x")
    assert error and "permission denied" in error


def test_publish_skips_views_without_marts(warehouse_url):
    publish_marts(warehouse_url, run_id="r1")
    views = _rows(
        warehouse_url,
        "select table_name from information_schema.views where table_schema = 'dashboards' order by 1",
    )
    # Only the views over bootstrapped tables (audit, identity, authenticity) exist.
    assert [name for (name,) in views] == [
        "authenticity_accounts",
        "authenticity_reasons",
        "authenticity_runs",
        "authenticity_score_bins",
        "identity_runs",
        "load_batches",
        "quality_results_daily",
        "quarantine_rows",
    ]


def test_identity_views_without_keys(warehouse_url):
    publish_marts(warehouse_url, run_id="r1")
    columns = _rows(
        warehouse_url,
        "select table_name, column_name from information_schema.columns where table_schema = 'dashboards'"
        " and (table_name like 'authenticity\\_%' or table_name like 'identity\\_%')",
    )
    assert {table for table, _ in columns} == {
        "authenticity_accounts",
        "authenticity_reasons",
        "authenticity_runs",
        "authenticity_score_bins",
        "identity_runs",
    }
    # Keys, reason texts and evidence stay in the identity and authenticity schemas.
    for table, column in columns:
        assert not column.endswith("_key"), f"{table}.{column}"
        assert column not in ("reasons", "evidence", "reason"), f"{table}.{column}"
