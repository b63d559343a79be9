"""Each database role reads what the access policy grants and is refused everything else.

The policy is applied to the warehouse and vault of a real pipeline run, with this test
session's role prefix. Local trust authentication does not check passwords, so password
checks are in test_tls.py, on a cluster of its own.
"""

from __future__ import annotations

from dataclasses import replace

import psycopg2
import pytest

from customer_warehouse.access import AccessError, apply_access, role_passwords, scram_verifier
from customer_warehouse.config import Settings
from customer_warehouse.pii.crypto import KeyRing
from customer_warehouse.pii.reveal import RevealError, reveal_identity
from customer_warehouse.pii.vault import read_identities
from tests.access.support import connect, fetch, refusal, relations

pytestmark = pytest.mark.slow

IDENTIFYING_SCHEMAS = ("raw", "staging", "intermediate", "audit", "marts_build")
DASHBOARD_VIEWS = {
    "customers_current",
    "orders_placed",
    "customer_rfm",
    "customer_segments",
    "load_batches",
    "quality_results_daily",
    "quarantine_rows",
    "authenticity_accounts",
    "authenticity_reasons",
    "authenticity_score_bins",
    "authenticity_runs",
    "identity_runs",
}


def _admin(cfg: Settings, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(cfg.admin_url).set(database=database).render_as_string(hide_password=False)


def _warehouse_admin(cfg: Settings) -> str:
    return _admin(cfg, cfg.warehouse.database)


def _vault_admin(cfg: Settings) -> str:
    from sqlalchemy.engine import make_url

    return _admin(cfg, make_url(cfg.vault_url).database)


def _vault_as(cfg: Settings, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(cfg.vault_url).set(username=cfg.role(name)).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def cfg(access_applied: Settings) -> Settings:
    return access_applied


# --- analyst -------------------------------------------------------------------------------


def test_analyst_reads_every_mart(cfg: Settings) -> None:
    marts = relations(_warehouse_admin(cfg), "marts")
    assert len(marts) >= 5, marts
    for table in marts:
        expected = fetch(_warehouse_admin(cfg), f"select count(*) from {table}")
        assert fetch(cfg.role_url("analyst"), f"select count(*) from {table}") == expected, table


@pytest.mark.parametrize("schema", IDENTIFYING_SCHEMAS)
def test_analyst_refused_identifying_schema(cfg: Settings, schema: str) -> None:
    tables = relations(_warehouse_admin(cfg), schema)
    assert tables, f"schema {schema} has no tables to check"
    for table in tables:
        error = refusal(cfg.role_url("analyst"), f"select * from {table} limit 1")
        assert error and "permission denied" in error, f"analyst read {table}: {error}"


def test_analyst_cannot_write_marts(cfg: Settings) -> None:
    error = refusal(cfg.role_url("analyst"), "delete from marts.dim_customers")
    assert error and "permission denied" in error


def test_analyst_cannot_create_schema(cfg: Settings) -> None:
    error = refusal(cfg.role_url("analyst"), "create schema analyst_probe")
    assert error and "permission denied" in error


@pytest.mark.parametrize("role", ["analyst", "dashboard"])
def test_reader_has_no_vault_connect(cfg: Settings, role: str) -> None:
    with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
        connect(_vault_as(cfg, role)).close()


# --- dashboard -----------------------------------------------------------------------------


def test_dashboard_reads_every_view(cfg: Settings) -> None:
    views = relations(_warehouse_admin(cfg), "dashboards")
    assert {name.split(".")[1] for name in views} == DASHBOARD_VIEWS
    for view in views:
        expected = fetch(_warehouse_admin(cfg), f"select count(*) from {view}")
        assert fetch(cfg.role_url("dashboard"), f"select count(*) from {view}") == expected, view


def test_dashboard_views_have_rows(cfg: Settings) -> None:
    for view in (
        "customers_current",
        "orders_placed",
        "customer_segments",
        "load_batches",
        "authenticity_accounts",
        "authenticity_reasons",
        "authenticity_runs",
        "identity_runs",
    ):
        [(count,)] = fetch(cfg.role_url("dashboard"), f"select count(*) from dashboards.{view}")
        assert count > 0, view


@pytest.mark.parametrize("schema", (*IDENTIFYING_SCHEMAS, "marts"))
def test_dashboard_refused_tables(cfg: Settings, schema: str) -> None:
    for table in relations(_warehouse_admin(cfg), schema):
        error = refusal(cfg.role_url("dashboard"), f"select * from {table} limit 1")
        assert error and "permission denied" in error, f"dashboard read {table}: {error}"


# --- privacy officer -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def shop_key(cfg: Settings) -> str:
    [(key,)] = fetch(
        _warehouse_admin(cfg),
        "select customer_key from marts.dim_customers where source = 'shop' order by customer_key limit 1",
    )
    return key


@pytest.fixture(scope="module")
def ring(pipeline_run: dict) -> KeyRing:
    return KeyRing.parse(pipeline_run["env"]["CW_VAULT_KEYS"])


def _reveal_rows(cfg: Settings, key: str) -> list[tuple]:
    return fetch(
        _vault_admin(cfg),
        "select revealed_by, customer_key, reason, found from pii.reveal_log where customer_key = %s "
        "order by reveal_id",
        (key,),
    )


@pytest.mark.parametrize("table", ["pii.customer_identities", "pii.address_identities", "pii.reveal_log"])
def test_officer_refused_vault_tables(cfg: Settings, table: str) -> None:
    error = refusal(cfg.role_url("privacy_officer"), f"select * from {table} limit 1")
    assert error and "permission denied" in error


def test_officer_cannot_erase_log(cfg: Settings) -> None:
    error = refusal(cfg.role_url("privacy_officer"), "delete from pii.reveal_log")
    assert error and "permission denied" in error


def test_officer_has_no_warehouse_connect(cfg: Settings) -> None:
    with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
        connect(cfg.warehouse.set(username=cfg.role("privacy_officer")).render_as_string(False)).close()


# --- restorer ------------------------------------------------------------------------------


@pytest.mark.parametrize("database", ["warehouse", "vault"])
def test_restorer_has_no_connect(cfg: Settings, database: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(cfg.warehouse_url if database == "warehouse" else cfg.vault_url)
    with pytest.raises(psycopg2.OperationalError, match="permission denied for database"):
        connect(url.set(username=cfg.role("restorer"), password=None).render_as_string(False)).close()


def test_restorer_may_create_databases_only(cfg: Settings) -> None:
    rows = fetch(
        _admin(cfg, "postgres"),
        "select rolcreatedb, rolsuper, rolcreaterole, rolreplication, rolbypassrls from pg_roles "
        "where rolname = %s",
        (cfg.role("restorer"),),
    )
    assert rows == [(True, False, False, False, False)]
    others = fetch(
        _admin(cfg, "postgres"),
        "select rolname from pg_roles where rolname = any(%s) and (rolcreatedb or rolsuper)",
        ([cfg.role(name) for name in ("pipeline", "analyst", "dashboard", "privacy_officer")],),
    )
    assert others == []


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_reveal_without_reason_rejected(cfg: Settings, shop_key: str, reason: str | None) -> None:
    before = _reveal_rows(cfg, shop_key)
    error = refusal(
        cfg.role_url("privacy_officer"), "select * from pii.reveal_identity(%s, %s)", (shop_key, reason)
    )
    assert error and "a reason is required" in error
    assert _reveal_rows(cfg, shop_key) == before


def test_reveal_client_requires_reason(cfg: Settings, shop_key: str, ring: KeyRing) -> None:
    with pytest.raises(RevealError, match="a reason is required"):
        reveal_identity(cfg.role_url("privacy_officer"), shop_key, " ", ring)


def test_reveal_returns_identity(cfg: Settings, shop_key: str, ring: KeyRing) -> None:
    [(_, stored, _)] = read_identities(_vault_admin(cfg), "pii.customer_identities", ring, keys=[shop_key])
    revealed = reveal_identity(
        cfg.role_url("privacy_officer"), shop_key, "test: subject access request", ring
    )
    assert revealed is not None
    assert revealed.customer_key == shop_key
    assert revealed.source == "shop"
    assert revealed.identity == stored
    assert revealed.identity.get("email")


def test_reveal_logs_each_call(cfg: Settings, shop_key: str, ring: KeyRing) -> None:
    before = len(_reveal_rows(cfg, shop_key))
    officer = cfg.role("privacy_officer")
    for number in (1, 2):
        reveal_identity(cfg.role_url("privacy_officer"), shop_key, f"test: request {number}", ring)
        rows = _reveal_rows(cfg, shop_key)
        assert len(rows) == before + number
        assert rows[-1] == (officer, shop_key, f"test: request {number}", True)


def test_reveal_unknown_key_logged(cfg: Settings, ring: KeyRing) -> None:
    assert reveal_identity(cfg.role_url("privacy_officer"), "no-such-key", "test: typo check", ring) is None
    assert _reveal_rows(cfg, "no-such-key")[-1] == (
        cfg.role("privacy_officer"),
        "no-such-key",
        "test: typo check",
        False,
    )


def test_reveal_function_runs_as_pipeline(cfg: Settings) -> None:
    [(owner, definer)] = fetch(
        _vault_admin(cfg),
        "select pg_get_userbyid(proowner), prosecdef from pg_proc "
        "where oid = 'pii.reveal_identity(text, text)'::regprocedure",
    )
    assert owner == cfg.role("pipeline")
    assert definer is True


# --- pipeline and PUBLIC -------------------------------------------------------------------


def test_pipeline_writes_warehouse(cfg: Settings) -> None:
    url = cfg.role_url("pipeline")
    assert refusal(url, "create schema if not exists pipeline_probe") is None
    assert refusal(url, "create table pipeline_probe.t as select 1 as x") is None
    assert (
        refusal(
            url, "insert into audit.watermarks (source, source_table, watermark) values ('probe', 't', now())"
        )
        is None
    )
    assert refusal(url, "delete from audit.watermarks where source = 'probe'") is None
    assert refusal(url, "drop schema pipeline_probe cascade") is None


def test_pipeline_writes_vault(cfg: Settings) -> None:
    url = _vault_as(cfg, "pipeline")
    assert refusal(url, "select count(*) from pii.customer_identities") is None
    assert refusal(url, "update pii.customer_identities set stored_at = stored_at where false") is None


@pytest.mark.parametrize("kind", ["warehouse", "vault"])
def test_public_has_no_database_privilege(cfg: Settings, kind: str) -> None:
    from sqlalchemy.engine import make_url

    database = cfg.warehouse.database if kind == "warehouse" else make_url(cfg.vault_url).database
    rows = fetch(
        _warehouse_admin(cfg),
        "select acl.privilege_type from pg_database d, aclexplode(d.datacl) acl "
        "where d.datname = %s and acl.grantee = 0",
        (database,),
    )
    assert rows == []


@pytest.mark.parametrize("kind", ["warehouse", "vault"])
def test_public_cannot_create_in_public_schema(cfg: Settings, kind: str) -> None:
    admin = _warehouse_admin(cfg) if kind == "warehouse" else _vault_admin(cfg)
    assert fetch(admin, "select has_schema_privilege('public', 'public', 'CREATE')") == [(False,)]


# --- apply ---------------------------------------------------------------------------------


def _acl_snapshot(cfg: Settings) -> list[tuple]:
    return fetch(
        _warehouse_admin(cfg),
        "select n.nspname, c.relname, pg_get_userbyid(c.relowner), coalesce(c.relacl::text, '') "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname not like 'pg\\_%%' and n.nspname <> 'information_schema' order by 1, 2",
    )


def test_apply_twice_same_grants(cfg: Settings) -> None:
    before = _acl_snapshot(cfg)
    apply_access(cfg)
    assert _acl_snapshot(cfg) == before


def test_apply_revokes_ungranted(cfg: Settings) -> None:
    analyst = cfg.role("analyst")
    fetch(_warehouse_admin(cfg), f'grant usage on schema raw to "{analyst}"')
    fetch(_warehouse_admin(cfg), f'grant select on raw.shop_customers to "{analyst}"')
    assert refusal(cfg.role_url("analyst"), "select count(*) from raw.shop_customers") is None
    apply_access(cfg)
    error = refusal(cfg.role_url("analyst"), "select count(*) from raw.shop_customers")
    assert error and "permission denied" in error


def test_apply_leaves_foreign_role(cfg: Settings) -> None:
    prefix = f"{cfg.role_prefix}foreign_"
    foreign = f"{prefix}pipeline"
    fetch(cfg.admin_url, f'create role "{foreign}" nologin')
    try:
        with pytest.raises(AccessError, match=f"role {foreign} exists but was not created"):
            apply_access(replace(cfg, role_prefix=prefix))
        assert fetch(cfg.admin_url, "select rolcanlogin from pg_roles where rolname = %s", (foreign,)) == [
            (False,)
        ]
    finally:
        fetch(cfg.admin_url, f'drop role "{foreign}"')


def test_missing_password_named() -> None:
    with pytest.raises(AccessError, match="CW_ANALYST_DB_PASSWORD not set"):
        role_passwords(["pipeline", "analyst"], {"CW_PIPELINE_DB_PASSWORD": "x"})


def test_scram_verifier_format() -> None:
    verifier = scram_verifier("pw-1", salt=b"0123456789abcdef")
    assert verifier.startswith("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$")
    assert "pw-1" not in verifier
