"""``cw backup`` and ``cw init``'s backup keys, run as an operator would, in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

from customer_warehouse.backup.keys import fingerprint
from customer_warehouse.runtime import ensure_secrets, read_secrets
from tests.support import make_settings


def _cw(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "customer_warehouse.cli", "backup", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_cli_restore_refuses_then_overwrites(backup_case):
    env = backup_case.env
    backup_run = _cw(env, "run", "--database", "vault")
    assert backup_run.returncode == 0, backup_run.stderr[-3000:]
    listing = _cw(env, "list")
    assert listing.returncode == 0
    assert "vault-" in listing.stdout
    assert fingerprint(backup_case.recipient) in listing.stdout

    refused = _cw(env, "restore", "--database", "vault")
    assert refused.returncode == 1
    assert "pass --overwrite to replace it" in refused.stderr
    assert "Traceback" not in refused.stderr

    restored = _cw(env, "restore", "--database", "vault", "--overwrite")
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "restored vault-" in restored.stdout
    for result in (backup_run, listing, refused, restored):
        for secret in backup_case.secrets():
            assert secret not in result.stdout + result.stderr


def test_cli_unknown_backup_id(backup_case):
    result = _cw(backup_case.env, "restore", "--database", "vault", "--backup", "vault-20200101T000000Z")
    assert result.returncode == 1
    assert "backup vault-20200101T000000Z of database vault not found" in result.stderr


def test_keygen_writes_private_file(tmp_path):
    path = tmp_path / "identity.txt"
    result = _cw({}, "keygen", "--output", str(path))
    assert result.returncode == 0, result.stderr
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    identity = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert identity[0].startswith("AGE-SECRET-KEY-1")
    assert identity[0] not in result.stdout
    assert "public key (for CW_BACKUP_RECIPIENTS): age1" in result.stdout
    again = _cw({}, "keygen", "--output", str(path))
    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_init_generates_backup_key_pair(tmp_path, monkeypatch):
    for name in ("CW_BACKUP_RECIPIENTS", "CW_BACKUP_IDENTITY", "CW_BACKUP_IDENTITY_FILE"):
        monkeypatch.delenv(name, raising=False)
    cfg = make_settings(tmp_path, warehouse_url="postgresql+psycopg2://postgres@127.0.0.1:5432/unused")
    path = ensure_secrets(cfg)
    values = read_secrets(path)
    assert values["CW_BACKUP_IDENTITY"].startswith("AGE-SECRET-KEY-1")
    assert values["CW_BACKUP_RECIPIENTS"].startswith("age1")
    ensure_secrets(cfg)
    assert read_secrets(path) == values, "a second init must keep the key pair"


def test_init_keeps_configured_recipient(tmp_path, monkeypatch, age_keys):
    monkeypatch.setenv("CW_BACKUP_RECIPIENTS", age_keys[1])
    monkeypatch.delenv("CW_BACKUP_IDENTITY", raising=False)
    cfg = make_settings(tmp_path, warehouse_url="postgresql+psycopg2://postgres@127.0.0.1:5432/unused")
    values = read_secrets(ensure_secrets(cfg))
    assert "CW_BACKUP_IDENTITY" not in values
    assert "CW_BACKUP_RECIPIENTS" not in values
