"""Fixtures for the backup tests: a small warehouse and vault, age keys and backup settings.

Every database is a throwaway ``cwt_*`` one from ``pg_database``. The URLs carry a
password that the trust-authenticated test server ignores, so tests can check that it
never reaches a log line, a manifest or command output.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from customer_warehouse.backup.keys import generate_keypair
from customer_warehouse.config import BackupSettings
from tests.backup.data import fill_vault, fill_warehouse
from tests.support import make_settings


@dataclass
class BackupCase:
    settings: BackupSettings
    urls: dict[str, str]
    identity: str
    recipient: str
    password: str
    home: Path
    env: dict[str, str]

    def secrets(self) -> list[str]:
        """Return the texts that must never appear in logs, manifests or output."""
        return [self.identity, self.password, self.identity.split("-")[-1][:24]]


def with_password(url: str, password: str) -> str:
    return make_url(url).set(password=password).render_as_string(hide_password=False)


@pytest.fixture()
def age_keys() -> tuple[str, str]:
    """Return a fresh (identity, recipient) pair."""
    return generate_keypair()


@pytest.fixture()
def backup_case(
    tmp_path: Path,
    pg_database: Callable[[str], str],
    age_keys: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> BackupCase:
    """Fill a warehouse and a vault and point the backup settings at them and at a folder store."""
    password = "pw-" + secrets.token_urlsafe(18)
    urls = {
        "warehouse": with_password(pg_database("bk_wh"), password),
        "vault": with_password(pg_database("bk_vault"), password),
    }
    fill_warehouse(urls["warehouse"])
    fill_vault(urls["vault"])
    identity, recipient = age_keys
    identity_file = tmp_path / "backup-identity.txt"
    identity_file.write_text(f"# test identity\n{identity}\n")
    identity_file.chmod(0o600)
    env = {
        "CW_HOME": str(tmp_path / "home"),
        "CW_WAREHOUSE_URL": urls["warehouse"],
        "CW_VAULT_URL": urls["vault"],
        "CW_BACKUP_DATABASES": "warehouse,vault",
        "CW_BACKUP_DIR": str(tmp_path / "backups"),
        "CW_BACKUP_TMP_DIR": str(tmp_path / "scratch"),
        "CW_BACKUP_RECIPIENTS": recipient,
        "CW_BACKUP_IDENTITY_FILE": str(identity_file),
        "CW_BACKUP_LOCK_TIMEOUT_S": "5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("CW_BACKUP_S3_URI", "CW_BACKUP_IDENTITY", "CW_BACKUP_KEEP_DAILY"):
        monkeypatch.delenv(name, raising=False)
    base = make_settings(tmp_path / "home", warehouse_url=urls["warehouse"])
    return BackupCase(
        settings=BackupSettings.from_env(base),
        urls=urls,
        identity=identity,
        recipient=recipient,
        password=password,
        home=tmp_path,
        env=env,
    )
