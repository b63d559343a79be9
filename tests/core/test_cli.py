"""The ``cw`` command line: dispatch and help of every command."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from customer_warehouse.access import PASSWORD_VARIABLES, apply_access, drop_roles
from customer_warehouse.cli import FORWARDED, _report_ignored_size, build_parser, main
from customer_warehouse.config import Settings
from customer_warehouse.db import drop_database, engine
from customer_warehouse.demo_state import (
    DEPLOYMENT_VARIABLES,
    DemoStateError,
    DemoTargets,
    check_demo_state,
    drop_demo,
    non_default_settings,
)
from customer_warehouse.pii.crypto import KeyRing, new_key_entry
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.vault import bootstrap_vault
from customer_warehouse.simulator.truth import write_run
from tests.support import make_settings, vault_url_for


@pytest.mark.parametrize("command", sorted(FORWARDED))
def test_forwarded_command_prints_its_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: cw {command}" in capsys.readouterr().out


def test_top_level_help_lists_privacy(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "privacy" in capsys.readouterr().out


def test_unknown_command_rejected(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# Every setting `cw demo` reads a database from, so no test of the demo reaches the
# local default databases, even when the code under test is wrong.
DEMO_URL_VARIABLES = (
    "CW_SHOP_URL",
    "CW_WAREHOUSE_URL",
    "CW_VAULT_URL",
    "CW_AIRFLOW_DB_URL",
    "SUPERSET_DATABASE_URI",
)


@pytest.fixture()
def demo_env(tmp_path: Path, pg_database, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point every setting of `cw demo` at throwaway databases and a temporary CW_HOME."""
    warehouse = pg_database("demo_wh")
    urls = {
        "CW_SHOP_URL": pg_database("demo_shop"),
        "CW_WAREHOUSE_URL": warehouse,
        "CW_VAULT_URL": vault_url_for(warehouse),
        "CW_AIRFLOW_DB_URL": pg_database("demo_airflow"),
        "SUPERSET_DATABASE_URI": pg_database("demo_superset"),
    }
    for name, value in urls.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CW_HOME", str(tmp_path / "home"))
    return Settings.from_env()


def _write_rows(url: str, *statements: str) -> None:
    eng = engine(url)
    with eng.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    eng.dispose()


def _database_names(url: str) -> set[str]:
    eng = engine(url)
    with eng.connect() as conn:
        names = set(conn.scalars(sa.text("select datname from pg_database")))
    eng.dispose()
    return names


@pytest.mark.parametrize("command", [["demo", "--fresh"], ["reset"]])
def test_start_over_rejects_configured_urls(command, demo_env, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(command)
    message = str(exit_info.value.code)
    assert "start-over rejected" in message
    for name in DEMO_URL_VARIABLES:
        assert name in message
    databases = _database_names(demo_env.admin_url)
    assert make_url(demo_env.shop_url).database in databases
    assert make_url(demo_env.warehouse_url).database in databases
    assert not (demo_env.home / "secrets.env").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CW_SHOP_URL", "postgresql+psycopg2://postgres@db.example.internal:5432/shop"),
        ("CW_WAREHOUSE_URL", "postgresql+psycopg2://cw_pipeline@127.0.0.1:5432/analytics"),
        ("CW_VAULT_URL", "postgresql+psycopg2://cw_pipeline@127.0.0.1:5433/vault"),
        ("CW_AIRFLOW_DB_URL", "postgresql+psycopg2://airflow@127.0.0.1:5432/airflow"),
        ("SUPERSET_DATABASE_URI", "postgresql+psycopg2://postgres@127.0.0.1:5432/bi"),
        ("CW_ADMIN_URL", "postgresql+psycopg2://admin:secret@127.0.0.1:5432/postgres"),
        ("CW_ROLE_PREFIX", "prod_"),
        ("CW_VAULT_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"),
        ("CW_TRUTH_DIR", "/srv/truth"),
    ],
)
def test_non_default_settings_each_variable(variable, value, monkeypatch):
    for name in (*DEMO_URL_VARIABLES, "CW_ADMIN_URL", *DEPLOYMENT_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CW_ROLE_PREFIX", "cw_")
    assert non_default_settings(Settings.from_env()) == []
    monkeypatch.setenv(variable, value)
    assert non_default_settings(Settings.from_env()) == [variable]


def test_non_default_settings_accept_bare_driver(monkeypatch):
    for name in (*DEMO_URL_VARIABLES, "CW_ADMIN_URL", *DEPLOYMENT_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CW_ROLE_PREFIX", "cw_")
    monkeypatch.setenv("CW_SHOP_URL", "postgresql://postgres@127.0.0.1:5432/shop")
    assert non_default_settings(Settings.from_env()) == []


def _as_pipeline(cfg: Settings, url: str) -> str:
    return make_url(url).set(username=cfg.role("pipeline")).render_as_string(hide_password=False)


def test_drop_demo_removes_databases_roles_folders(tmp_path, pg_database, role_passwords):
    warehouse = pg_database("drop_wh")
    admin_url = make_url(warehouse).set(database="postgres").render_as_string(hide_password=False)
    home = tmp_path / "home"
    prefix = f"cwt_{uuid.uuid4().hex[:8]}_"
    cfg = replace(
        make_settings(home, warehouse, shop_url=pg_database("drop_shop")),
        role_prefix=prefix,
        admin_url=admin_url,
    )
    apply_access(cfg)
    cfg.truth_dir.mkdir(parents=True)
    (cfg.truth_dir / "simulation.json").write_text("{}")
    roles = tuple(cfg.role(name) for name in PASSWORD_VARIABLES)
    try:
        drop_demo(
            DemoTargets(
                admin_url=admin_url,
                # As in the settings, the pipeline role connects but may not drop.
                databases=(
                    cfg.shop_url,
                    _as_pipeline(cfg, cfg.warehouse_url),
                    _as_pipeline(cfg, cfg.vault_url),
                ),
                roles=roles,
                folders=(str(cfg.truth_dir), str(cfg.landing_dir)),
            )
        )
        databases = _database_names(admin_url)
        for url in (cfg.shop_url, cfg.warehouse_url, cfg.vault_url):
            assert make_url(url).database not in databases
        eng = engine(admin_url)
        with eng.connect() as conn:
            left = conn.scalars(
                sa.text("select rolname from pg_roles where starts_with(rolname, :p)"), {"p": prefix}
            )
            assert list(left) == []
        eng.dispose()
        assert not cfg.truth_dir.exists()
    finally:
        # The roles hold privileges in these databases, so they go first when the test failed.
        for url in (cfg.shop_url, cfg.warehouse_url, cfg.vault_url):
            drop_database(url)
        drop_roles(admin_url, prefix)


def test_demo_stops_on_missing_truth(demo_env):
    _write_rows(
        demo_env.shop_url, "create table customers (customer_id bigint)", "insert into customers values (1)"
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--skip-dashboards"])
    message = str(exit_info.value.code)
    assert "contains 1 customers" in message
    assert str(demo_env.truth_dir / "simulation.json") in message
    assert "make demo FRESH=1" in message
    assert not (demo_env.home / "secrets.env").exists()


def _store_identity(cfg: Settings, ring: KeyRing, pseudonym_key: str) -> None:
    bootstrap_vault(cfg.vault_url)
    customer_key = Pseudonymizer(pseudonym_key).customer_key("shop", 7)
    blob = ring.encrypt({"email": "a@example.com"}, customer_key)
    eng = engine(cfg.vault_url)
    with eng.begin() as conn:
        conn.execute(
            sa.text(
                "insert into pii.customer_identities (customer_key, source, source_customer_id, "
                "source_updated_at, key_id, identity, batch_id) "
                "values (:key, 'shop', '7', now(), :key_id, :blob, 'b1')"
            ),
            {"key": customer_key, "key_id": ring.active_id, "blob": blob},
        )
    eng.dispose()


def test_demo_stops_on_new_vault_keys(demo_env, protection_secrets):
    _store_identity(demo_env, KeyRing.parse(new_key_entry("test1")), protection_secrets["CW_PSEUDONYM_KEY"])
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--skip-dashboards"])
    message = str(exit_info.value.code)
    assert "CW_VAULT_KEYS cannot decrypt" in message
    assert "make demo FRESH=1" in message
    assert not (demo_env.home / "secrets.env").exists()


def test_demo_state_missing_vault_keys(demo_env, protection_secrets, monkeypatch):
    ring = KeyRing.parse(protection_secrets["CW_VAULT_KEYS"])
    _store_identity(demo_env, ring, protection_secrets["CW_PSEUDONYM_KEY"])
    check_demo_state(demo_env)
    monkeypatch.delenv("CW_VAULT_KEYS")
    with pytest.raises(DemoStateError, match="CW_VAULT_KEYS or CW_PSEUDONYM_KEY is not set"):
        check_demo_state(demo_env)


def test_demo_state_other_pseudonym_key(demo_env, protection_secrets):
    ring = KeyRing.parse(protection_secrets["CW_VAULT_KEYS"])
    _store_identity(demo_env, ring, "an older pseudonym key")
    with pytest.raises(DemoStateError, match="another CW_PSEUDONYM_KEY"):
        check_demo_state(demo_env)


@pytest.mark.parametrize("customers", ["500", "999", "1000001", "0", "-5"])
def test_demo_customers_out_of_range(customers, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["demo", "--customers", customers])
    assert exit_info.value.code == 2
    assert "use 1,000 to 1,000,000 customers" in capsys.readouterr().err


def test_demo_customers_in_range():
    assert build_parser().parse_args(["demo", "--customers", "1000"]).customers == 1000
    assert build_parser().parse_args(["demo"]).customers is None


def test_demo_reports_ignored_size(tmp_path, caplog):
    write_run(tmp_path / "truth", {"plan": {"customers": 5000}, "steps": []})
    cfg = make_settings(tmp_path, "postgresql+psycopg2://postgres@127.0.0.1:5432/unused")
    with caplog.at_level(logging.WARNING, logger="customer_warehouse.cli"):
        _report_ignored_size(cfg, 5000)
        _report_ignored_size(cfg, None)
    assert caplog.records == []
    with caplog.at_level(logging.WARNING, logger="customer_warehouse.cli"):
        _report_ignored_size(cfg, 20000)
    assert "--customers 20,000 ignored" in caplog.text
    assert "created with 5,000 customers" in caplog.text
    assert "make demo FRESH=1" in caplog.text


@pytest.mark.parametrize(
    ("name", "expected"),
    [("missing", "does not exist"), ("file.csv", "is not a folder"), ("empty", "no CSV files in")],
)
def test_demo_olist_dir_checked(name, expected, tmp_path, capsys):
    (tmp_path / "file.csv").write_text("a\n1\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.md").write_text("no exports\n")
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["demo", "--olist-dir", str(tmp_path / name)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --olist-dir" in err
    assert expected in err


def test_demo_missing_data_changes_nothing(demo_env, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--olist-dir", str(tmp_path / "no" / "such" / "dir")])
    assert exit_info.value.code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not demo_env.home.exists()


def test_demo_no_simulate_needs_olist_dir(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--no-simulate"])
    assert exit_info.value.code == 2
    assert "--no-simulate needs --olist-dir" in capsys.readouterr().err


def test_run_help_describes_logical_date(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "ISO 8601 date and time of the run" in capsys.readouterr().out
