"""Backups restore what was there: damaged databases come back whole, drills catch differences."""

from __future__ import annotations

import dataclasses
import json
import threading

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from customer_warehouse.backup import back_up_database, restore_backup, run_drill
from customer_warehouse.backup.dump import DatabaseMissingError
from customer_warehouse.backup.manifest import MANIFEST_SUFFIX
from customer_warehouse.backup.pgtools import PgToolError, database_exists, fingerprints_of
from customer_warehouse.backup.restore import RestoreMismatchError, TargetNotEmptyError
from customer_warehouse.db import psycopg2_dsn
from tests.backup.data import VAULT_DAMAGE_SQL, WAREHOUSE_DAMAGE_SQL, execute

# Rows the backup itself writes into the warehouse it backs up; the comparison with the
# state before the backup leaves them out.
BACKUP_BOOKKEEPING = {"audit.backups", "audit.restore_drills"}


def _fingerprints(url: str) -> dict:
    return {t: f for t, f in fingerprints_of(url).items() if t not in BACKUP_BOOKKEEPING}


def _audit_rows(url: str, sql: str) -> list:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    eng.dispose()
    return rows


def test_restore_recovers_damaged_databases(backup_case):
    cfg = backup_case.settings
    before = {name: _fingerprints(url) for name, url in backup_case.urls.items()}
    for name in ("warehouse", "vault"):
        back_up_database(cfg, name, run_id="test-run")
    execute(backup_case.urls["warehouse"], WAREHOUSE_DAMAGE_SQL)
    execute(backup_case.urls["vault"], VAULT_DAMAGE_SQL)
    for name, url in backup_case.urls.items():
        assert _fingerprints(url) != before[name], f"the damage left {name} unchanged"

    for name in ("warehouse", "vault"):
        result = restore_backup(cfg, name, overwrite=True)
        assert result.mismatches == []

    for name, url in backup_case.urls.items():
        after = _fingerprints(url)
        assert set(after) == set(before[name]), f"{name}: tables differ after restore"
        for table, fingerprint in before[name].items():
            assert after[table] == fingerprint, f"{name}: {table} differs after restore"
    assert before["warehouse"]["marts.page_views"].rows == 500 + 72
    assert before["vault"]["vault.identities"].rows == 300


def test_restore_refuses_non_empty_target(backup_case):
    cfg = backup_case.settings
    back_up_database(cfg, "vault")
    execute(backup_case.urls["vault"], "delete from vault.identities")
    with pytest.raises(TargetNotEmptyError, match=r"--overwrite"):
        restore_backup(cfg, "vault")
    assert fingerprints_of(backup_case.urls["vault"])["vault.identities"].rows == 0


def test_restore_into_new_empty_database(backup_case, pg_database):
    cfg = backup_case.settings
    back_up_database(cfg, "vault")
    target = make_url(pg_database("bk_target")).database
    result = restore_backup(cfg, "vault", target_database=target)
    target_url = make_url(backup_case.urls["vault"]).set(database=target)
    assert result.target_database == target
    assert fingerprints_of(target_url) == fingerprints_of(backup_case.urls["vault"])


def test_drill_passes_and_drops_scratch_database(backup_case):
    cfg = backup_case.settings
    backup = back_up_database(cfg, "warehouse", run_id="run-1")
    result = run_drill(cfg, "warehouse", run_id="run-1")
    scratch = make_url(backup_case.urls["warehouse"]).database + "_restore_drill"
    assert result.backup_id == backup.backup_id
    assert result.tables == backup.tables
    assert not database_exists(make_url(backup_case.urls["warehouse"]).set(database=scratch))
    drills = _audit_rows(
        backup_case.urls["warehouse"],
        "select backup_id, status, target_database, tables_checked from audit.restore_drills",
    )
    assert drills == [(backup.backup_id, "passed", scratch, backup.tables)]
    backups = _audit_rows(
        backup_case.urls["warehouse"], "select backup_id, status, tables from audit.backups"
    )
    assert backups == [(backup.backup_id, "succeeded", backup.tables)]


def test_drill_names_table_that_differs(backup_case):
    cfg = backup_case.settings
    backup = back_up_database(cfg, "warehouse")
    manifest_path = cfg.directory / "warehouse" / f"{backup.backup_id}{MANIFEST_SUFFIX}"
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["marts.fct_orders"]["rows"] += 3
    manifest["tables"]["marts.dim_customers"]["checksum"] = "0" * 32
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(RestoreMismatchError) as caught:
        run_drill(cfg, "warehouse")
    message = str(caught.value)
    assert "marts.fct_orders: 2403 rows at backup time, 2400 restored (-3)" in message
    assert "marts.dim_customers: same row count (600) but the checksum differs" in message
    assert [m["table"] for m in caught.value.mismatches] == ["marts.dim_customers", "marts.fct_orders"]
    drills = _audit_rows(backup_case.urls["warehouse"], "select status, mismatches from audit.restore_drills")
    assert drills[0][0] == "failed"
    assert {m["table"] for m in drills[0][1]} == {"marts.dim_customers", "marts.fct_orders"}


def test_missing_database_is_reported_not_created(backup_case, monkeypatch):
    cfg = backup_case.settings
    absent = make_url(backup_case.urls["vault"]).set(database="cwt_bk_absent_vault")
    cfg.database_urls["vault"] = absent.render_as_string(hide_password=False)
    with pytest.raises(DatabaseMissingError, match="cwt_bk_absent_vault"):
        back_up_database(cfg, "vault")
    assert not database_exists(absent)


def test_store_holds_ciphertext_only(backup_case):
    cfg = backup_case.settings
    backup = back_up_database(cfg, "vault")
    files = sorted(p.name for p in (cfg.directory / "vault").iterdir())
    assert files == [
        f"{backup.backup_id}.dump.age",
        f"{backup.backup_id}.dump.age.sha256",
        f"{backup.backup_id}.manifest.json",
    ]
    dump = (cfg.directory / "vault" / f"{backup.backup_id}.dump.age").read_bytes()
    assert dump.startswith(b"age-encryption.org/v1\n")
    assert b"PGDMP" not in dump
    assert b"vault.identities" not in dump
    assert list(cfg.temp_dir.iterdir()) == [], "a plain dump or scratch folder was left behind"
    assert oct((cfg.directory / "vault").stat().st_mode & 0o777) == "0o700"


def test_failed_backup_leaves_no_files(backup_case):
    cfg = backup_case.settings
    locker = psycopg2.connect(psycopg2_dsn(backup_case.urls["vault"]))
    with locker.cursor() as cursor:
        cursor.execute("lock table vault.key_usage in access exclusive mode")
    failure: list[BaseException] = []

    def back_up() -> None:
        try:
            back_up_database(cfg, "vault", run_id="locked")
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            failure.append(error)

    worker = threading.Thread(target=back_up)
    worker.start()
    worker.join(timeout=120)
    locker.rollback()
    locker.close()
    assert not worker.is_alive()
    assert len(failure) == 1
    assert isinstance(failure[0], (PgToolError, psycopg2.errors.LockNotAvailable))
    assert list(cfg.temp_dir.iterdir()) == [], "the plain dump survived a failed backup"
    assert not (cfg.directory / "vault").exists() or list((cfg.directory / "vault").iterdir()) == []
    rows = _audit_rows(backup_case.urls["warehouse"], "select status, run_id from audit.backups")
    assert rows == [("failed", "locked")]


def test_store_failure_after_dump_deletes_plain_dump(backup_case, monkeypatch):
    # A regular file where the backup folder should be: the store fails once the dump is taken.
    blocker = backup_case.home / "not-a-folder"
    blocker.write_text("")
    cfg = dataclasses.replace(backup_case.settings, directory=blocker)
    with pytest.raises(FileExistsError):
        back_up_database(cfg, "vault", run_id="blocked")
    assert list(cfg.temp_dir.iterdir()) == [], "the plain dump survived a failed backup"
    rows = _audit_rows(backup_case.urls["warehouse"], "select status, run_id from audit.backups")
    assert rows == [("failed", "blocked")]


def _as_role(url: str, role: str, database: str) -> str:
    return make_url(url).set(username=role, password=None, database=database).render_as_string(False)


def test_drill_as_restorer_role(backup_case, role_prefix):
    """A drill connects as a role that may create databases and cannot open the databases it checks."""
    from customer_warehouse.access import ensure_role

    restorer = f"{role_prefix}restorer"
    admin = psycopg2.connect(psycopg2_dsn(make_url(backup_case.urls["warehouse"]).set(database="postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        ensure_role(cur, restorer, "unused-under-trust-auth", role_prefix, createdb=True)
        for name in ("warehouse", "vault"):
            database = make_url(backup_case.urls[name]).database
            cur.execute(f'revoke all on database "{database}" from public')
    admin.close()
    for name in ("warehouse", "vault"):
        source = make_url(backup_case.urls[name]).database
        with pytest.raises(psycopg2.OperationalError, match="permission denied"):
            psycopg2.connect(psycopg2_dsn(_as_role(backup_case.urls[name], restorer, source))).close()
    drill_urls = {
        name: _as_role(backup_case.urls[name], restorer, "postgres") for name in ("warehouse", "vault")
    }
    cfg = dataclasses.replace(backup_case.settings, drill_urls=drill_urls)
    for name in ("warehouse", "vault"):
        backup = back_up_database(cfg, name, run_id="run-restorer")
        result = run_drill(cfg, name, run_id="run-restorer")
        assert result.backup_id == backup.backup_id
        assert (result.tables, result.mismatches) == (backup.tables, [])
        scratch = make_url(backup_case.urls[name]).database + "_restore_drill"
        assert not database_exists(make_url(backup_case.urls[name]).set(database=scratch))


def test_drill_without_createdb_names_setting(backup_case, role_prefix):
    from customer_warehouse.access import ensure_role

    role = f"{role_prefix}restorer_nocreatedb"
    admin = psycopg2.connect(psycopg2_dsn(make_url(backup_case.urls["warehouse"]).set(database="postgres")))
    admin.autocommit = True
    with admin.cursor() as cur:
        ensure_role(cur, role, "unused-under-trust-auth", role_prefix)
    admin.close()
    cfg = dataclasses.replace(
        backup_case.settings,
        drill_urls={"warehouse": _as_role(backup_case.urls["warehouse"], role, "postgres")},
    )
    back_up_database(cfg, "warehouse", run_id="run-nocreatedb")
    with pytest.raises(PgToolError, match="CW_BACKUP_DRILL_URL_<DATABASE>") as raised:
        run_drill(cfg, "warehouse", run_id="run-nocreatedb")
    assert role in str(raised.value)
