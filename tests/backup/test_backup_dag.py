"""The warehouse_backup DAG, run end to end with dag.test() on throwaway databases."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support import make_settings, run_dag

pytestmark = pytest.mark.slow

DATABASES = ("warehouse", "vault", "airflow", "superset")


def _rows(url: str, sql: str) -> list:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    eng.dispose()
    return rows


@pytest.fixture()
def dag_env(backup_case, airflow_environment, dbt_manifest):
    # dag_run fills the whole DagBag, and the main DAG needs the dbt manifest.
    cfg = make_settings(backup_case.home / "home", warehouse_url=backup_case.urls["warehouse"])
    env = airflow_environment(cfg)
    absent = make_url(backup_case.urls["vault"]).set(database="cwt_bk_absent_superset")
    env.update(
        {
            **backup_case.env,
            "CW_BACKUP_DATABASES": ",".join(DATABASES),
            "CW_BACKUP_URL_SUPERSET": absent.render_as_string(hide_password=False),
        }
    )
    return env


def test_backup_dag_runs_end_to_end(backup_case, dag_env):
    run = run_dag(dag_env, "2026-12-04T03:00:00+00:00", dag_id="warehouse_backup")
    assert run["returncode"] == 0, run["stderr"][-6000:] + run["stdout"][-2000:]
    states = run["report"]["tasks"]
    for name in ("warehouse", "vault", "airflow"):
        for step in ("backup", "restore_drill", "apply_retention"):
            assert states[f"{step}_{name}"] == "success", f"{step}_{name}: {states}"
    for step in ("backup", "restore_drill", "apply_retention"):
        assert states[f"{step}_superset"] == "skipped", "an absent database must be skipped"

    manifests = sorted(backup_case.settings.directory.rglob("*.manifest.json"))
    assert [p.parent.name for p in manifests] == ["airflow", "vault", "warehouse"]
    warehouse = backup_case.urls["warehouse"]
    backups = _rows(warehouse, "select database_name, status, run_id from audit.backups order by 1")
    run_id = run["report"]["run_id"]
    assert backups == [(n, "succeeded", run_id) for n in ("airflow", "vault", "warehouse")]
    drills = _rows(warehouse, "select database_name, status from audit.restore_drills order by 1")
    assert drills == [(n, "passed") for n in ("airflow", "vault", "warehouse")]

    output = run["stdout"] + run["stderr"]
    assert "restore drill of backup" in output
    texts = {"task output": output, **{str(p): p.read_text() for p in manifests}}
    for secret in backup_case.secrets():
        for where, text in texts.items():
            assert secret not in text, f"a secret appears in {where}"


def test_backup_dag_without_identity_skips_drill(backup_case, dag_env):
    first = run_dag(dag_env, "2026-12-05T03:00:00+00:00", dag_id="warehouse_backup")
    assert first["returncode"] == 0, first["stderr"][-6000:]
    env = {**dag_env, "CW_BACKUP_DATABASES": "vault", "CW_BACKUP_KEEP_DAILY": "0"}
    env.pop("CW_BACKUP_IDENTITY_FILE")
    env.pop("CW_BACKUP_IDENTITY", None)
    second = run_dag(env, "2026-12-06T03:00:00+00:00", dag_id="warehouse_backup")
    assert second["returncode"] == 0, second["stderr"][-6000:]
    states = second["report"]["tasks"]
    assert states["backup_vault"] == "success"
    assert states["restore_drill_vault"] == "skipped"
    assert states["apply_retention_vault"] == "success"
    # Every count at zero but the weekly and monthly defaults: both runs fall in the same
    # week and month, so only the newest backup of the vault is left.
    manifests = list((backup_case.settings.directory / "vault").glob("*.manifest.json"))
    assert len(manifests) == 1
    assert json.loads(manifests[0].read_text())["run_id"] == second["report"]["run_id"]
