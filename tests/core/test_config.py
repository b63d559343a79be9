"""Role URLs and dbt's connection settings derived from the warehouse URL."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support import make_settings

TLS_URL = (
    "postgresql+psycopg2://cw_pipeline:pw-1@db.internal:5433/wh?sslmode=verify-full&sslrootcert=/etc/ca.crt"
)


def test_role_url_drops_password(tmp_path: Path) -> None:
    cfg = replace(make_settings(tmp_path, TLS_URL), role_prefix="p_")
    url = make_url(cfg.role_url("analyst"))
    assert url.username == "p_analyst"
    assert url.password is None
    assert (url.host, url.port, url.database) == ("db.internal", 5433, "wh")
    assert url.query == {"sslmode": "verify-full", "sslrootcert": "/etc/ca.crt"}


def test_role_url_officer_uses_vault(tmp_path: Path) -> None:
    cfg = replace(make_settings(tmp_path, TLS_URL), role_prefix="p_")
    url = make_url(cfg.role_url("privacy_officer"))
    assert (url.username, url.database) == ("p_privacy_officer", "wh_vault")


def test_role_url_explicit_setting_wins(tmp_path: Path) -> None:
    explicit = "postgresql+psycopg2://reader:pw-2@elsewhere:5432/wh"
    cfg = replace(make_settings(tmp_path, TLS_URL), dashboard_url=explicit)
    assert cfg.role_url("dashboard") == explicit


def test_dbt_env_passes_tls_options(tmp_path: Path) -> None:
    env = make_settings(tmp_path, TLS_URL).dbt_env()
    assert env["CW_DBT_SSLMODE"] == "verify-full"
    assert env["CW_DBT_SSLROOTCERT"] == "/etc/ca.crt"
    assert "CW_DBT_SSLCERT" not in env


def test_default_urls_use_pipeline_role(monkeypatch) -> None:
    from customer_warehouse.config import Settings

    for name in ("CW_WAREHOUSE_URL", "CW_VAULT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CW_ROLE_PREFIX", "team_")
    cfg = Settings.from_env()
    assert make_url(cfg.warehouse_url).username == "team_pipeline"
    assert make_url(cfg.vault_url).username == "team_pipeline"
    assert make_url(cfg.role_url("dashboard")).username == "team_dashboard"


def test_local_default_drills_as_restorer(monkeypatch) -> None:
    from customer_warehouse.config import BackupSettings

    for name in ("CW_WAREHOUSE_URL", "CW_BACKUP_URL_WAREHOUSE", "CW_BACKUP_DRILL_URL_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CW_ROLE_PREFIX", "team_")
    drill = make_url(BackupSettings.from_env().drill_url("warehouse"))
    assert drill.username == "team_restorer"
    assert (drill.host, drill.port) == ("127.0.0.1", 5432)


def test_other_server_drills_with_own_url(monkeypatch) -> None:
    from customer_warehouse.config import BackupSettings

    url = "postgresql+psycopg2://team_pipeline@db.internal:5432/warehouse"
    monkeypatch.setenv("CW_WAREHOUSE_URL", url)
    monkeypatch.setenv("CW_ROLE_PREFIX", "team_")
    monkeypatch.delenv("CW_BACKUP_DRILL_URL_WAREHOUSE", raising=False)
    assert BackupSettings.from_env().drill_url("warehouse") == url
