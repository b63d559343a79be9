"""Every DAG in dags/ imports without errors, quickly, with the settings it promises."""

from __future__ import annotations

import json

from tests.support import make_settings, run_python

IMPORT_CHECK = """
import json, os, time
from airflow.dag_processing.dagbag import DagBag
started = time.monotonic()
bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
seconds = time.monotonic() - started
dags = {}
for dag_id, dag in bag.dags.items():
    dags[dag_id] = {
        "catchup": dag.catchup, "tags": sorted(dag.tags), "has_doc": bool(dag.doc_md),
        "tz": str(dag.start_date.tzinfo) if dag.start_date else None,
        "retries": [t.retries for t in dag.tasks],
        "callbacks": [bool(t.on_failure_callback) for t in dag.tasks],
        "tasks": sorted(t.task_id for t in dag.tasks),
    }
file_seconds = {stat.file: stat.duration.total_seconds() for stat in bag.dagbag_stats}
errors = {path: str(error) for path, error in bag.import_errors.items()}
print(json.dumps({"errors": errors, "dags": dags, "seconds": seconds, "file_seconds": file_seconds}))
"""


def _import_dags(tmp_path, airflow_environment) -> dict:
    cfg = make_settings(tmp_path, warehouse_url="postgresql+psycopg2://postgres@127.0.0.1:5432/unused")
    result = run_python(IMPORT_CHECK, airflow_environment(cfg))
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_dags_import_without_errors(tmp_path, dbt_manifest, airflow_environment):
    report = _import_dags(tmp_path, airflow_environment)
    # Timings are reported, never asserted: a loaded machine must not fail the test.
    print(f"DagBag fill took {report['seconds']:.2f} s; per file: {report['file_seconds']}")
    assert report["errors"] == {}
    assert "customer_warehouse" in report["dags"]


def test_customer_warehouse_dag_settings(tmp_path, dbt_manifest, airflow_environment):
    dag = _import_dags(tmp_path, airflow_environment)["dags"]["customer_warehouse"]
    assert dag["catchup"] is False
    assert dag["has_doc"] is True
    assert dag["tz"] == "UTC"
    assert "customer-warehouse" in dag["tags"]
    assert all(dag["callbacks"]), "every task needs the failure callback"
    for task_id in (
        "extract_shop",
        "load_landed_files",
        "validate_raw",
        "resolve_identities",
        "score_authenticity",
        "validate_authenticity",
        "validate_marts",
        "publish_marts",
    ):
        assert task_id in dag["tasks"]
    staging = [t for t in dag["tasks"] if t.startswith("dbt_staging.")]
    marts = [t for t in dag["tasks"] if t.startswith("dbt_marts.")]
    assert any("stg_shop__customers" in t for t in staging)
    assert any("int_customers_conformed" in t for t in staging)
    assert any("dim_persons" in t for t in marts)
    assert any("int_customer_persons" in t for t in marts)
    # Nothing that reads identity or authenticity output may build before those steps.
    assert not [t for t in staging if "dim_" in t or "persons" in t or "identity" in t]


def test_warehouse_backup_dag_settings(tmp_path, dbt_manifest, airflow_environment):
    dag = _import_dags(tmp_path, airflow_environment)["dags"]["warehouse_backup"]
    assert dag["catchup"] is False
    assert dag["has_doc"] is True
    assert dag["tz"] == "UTC"
    assert {"customer-warehouse", "backup"} <= set(dag["tags"])
    assert all(dag["callbacks"]), "every task needs the failure callback"
    for name in ("warehouse", "vault", "airflow", "superset"):
        for step in ("backup", "restore_drill", "apply_retention"):
            assert f"{step}_{name}" in dag["tasks"]


def test_privacy_erasure_dag_settings(tmp_path, dbt_manifest, airflow_environment):
    dag = _import_dags(tmp_path, airflow_environment)["dags"]["privacy_erasure"]
    assert dag["catchup"] is False
    assert dag["has_doc"] is True
    assert {"customer-warehouse", "privacy"} <= set(dag["tags"])
    assert dag["tasks"] == ["erase_person"]
    assert dag["retries"] == [0]
    assert all(dag["callbacks"])
