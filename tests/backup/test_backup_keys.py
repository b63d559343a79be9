"""Keys and integrity: only the right identity decrypts, altered files fail, no secret leaks."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from customer_warehouse.backup import back_up_database, restore_backup, run_drill
from customer_warehouse.backup.keys import (
    BackupKeyError,
    fingerprint,
    generate_keypair,
    load_identities,
    parse_recipients,
)
from customer_warehouse.backup.restore import ChecksumMismatchError, IdentityMismatchError


def test_wrong_identity_cannot_decrypt(backup_case, monkeypatch, tmp_path):
    backup = back_up_database(backup_case.settings, "vault")
    other_identity, other_recipient = generate_keypair()
    wrong = tmp_path / "wrong-identity.txt"
    wrong.write_text(other_identity + "\n")
    monkeypatch.setenv("CW_BACKUP_IDENTITY_FILE", str(wrong))
    with pytest.raises(IdentityMismatchError) as caught:
        run_drill(backup_case.settings, "vault")
    message = str(caught.value)
    assert backup.backup_id in message
    assert fingerprint(backup_case.recipient) in message
    assert fingerprint(other_recipient) in message
    assert other_identity not in message
    assert list(backup_case.settings.temp_dir.iterdir()) == []


def test_tampered_backup_fails_checksum(backup_case):
    cfg = backup_case.settings
    backup = back_up_database(cfg, "vault")
    dump = cfg.directory / "vault" / f"{backup.backup_id}.dump.age"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError) as caught:
        restore_backup(cfg, "vault", target_database="cwt_bk_never_created")
    message = str(caught.value)
    assert str(dump) in message
    assert backup.sha256 in message
    assert "fails its SHA-256 check" in message


def test_altered_checksum_file_is_reported(backup_case):
    cfg = backup_case.settings
    backup = back_up_database(cfg, "vault")
    sidecar = cfg.directory / "vault" / f"{backup.backup_id}.dump.age.sha256"
    sidecar.write_text("0" * 64 + f"  {backup.backup_id}.dump.age\n")
    with pytest.raises(ChecksumMismatchError, match=r"\.sha256 records 0{64}"):
        run_drill(cfg, "vault")


def test_no_secret_in_logs_output_or_manifests(backup_case, caplog, capsys):
    cfg = backup_case.settings
    caplog.set_level(logging.DEBUG)
    for name in ("warehouse", "vault"):
        summary = back_up_database(cfg, name, run_id="secret-check").summary()
        print(summary)
        print(run_drill(cfg, name).summary())
    texts = {"log": caplog.text, "output": "".join(capsys.readouterr())}
    for path in sorted(cfg.directory.rglob("*")):
        if path.is_file() and not path.name.endswith(".age"):
            texts[str(path)] = path.read_text()
    eng = sa.create_engine(backup_case.urls["warehouse"])
    with eng.connect() as conn:
        texts["audit"] = repr(conn.execute(sa.text("select * from audit.backups")).all()) + repr(
            conn.execute(sa.text("select * from audit.restore_drills")).all()
        )
    eng.dispose()
    assert "backed up database vault" in texts["log"]
    for secret in backup_case.secrets():
        for where, text in texts.items():
            assert secret not in text, f"a secret appears in {where}"


def test_recipients_must_be_public_keys(age_keys):
    identity, recipient = age_keys
    assert len(parse_recipients([recipient])) == 1
    with pytest.raises(BackupKeyError, match="entry 2 is a private age identity") as caught:
        parse_recipients([recipient, identity])
    assert identity not in str(caught.value)
    with pytest.raises(BackupKeyError, match="entry 1 .* is not an age public key"):
        parse_recipients(["age1notavalidkey"])
    with pytest.raises(BackupKeyError, match="CW_BACKUP_RECIPIENTS is empty"):
        parse_recipients([])


def test_malformed_identity_is_not_echoed(monkeypatch, tmp_path):
    almost = "AGE-SECRET-KEY-1" + "Q" * 40
    path = tmp_path / "identity.txt"
    path.write_text(f"# comment\n{almost}\n")
    monkeypatch.setenv("CW_BACKUP_IDENTITY_FILE", str(path))
    with pytest.raises(BackupKeyError, match=r"entry 2 is not an age identity") as caught:
        load_identities()
    assert "Q" * 10 not in str(caught.value)


def test_missing_identity_names_the_setting(monkeypatch):
    monkeypatch.delenv("CW_BACKUP_IDENTITY_FILE", raising=False)
    monkeypatch.delenv("CW_BACKUP_IDENTITY", raising=False)
    with pytest.raises(BackupKeyError, match="CW_BACKUP_IDENTITY_FILE"):
        load_identities()
