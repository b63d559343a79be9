"""
### Customer warehouse, daily

Moves one day of platform data into the warehouse and republishes the customer marts.

1. **bootstrap_warehouse**: create the `raw` and `audit` schemas and the PII vault's `pii`
   schema if missing (idempotent).
2. **extract_shop**: incremental extraction of the platform's operational database by
   `updated_at` watermark into `raw.shop_*`. Names, emails, phones, birth dates, street
   lines, device ids and IPs go encrypted to the PII vault; raw gets keys and facts.
3. **load_landed_files**: load new files of the landing folder (Olist CSV exports,
   clickstream JSON lines) into `raw`, once each, keyed by checksum.
4. **purge_expired_landing**: delete landed files older than `CW_LANDING_RETENTION_DAYS`
   (default 30) whose content is loaded; files never loaded are kept and reported.
5. **validate_raw**: the `raw_inputs` expectation suite on this run's batches.
   A critical failure stops the run here.
6. **dbt_staging**: dbt through Cosmos, staging and intermediate models: one `dbt build`
   (`dbt_producer_watcher`), then one task per model that reports the model and its tests.
7. **resolve_identities**: link the accounts of one person across sources and over time
   (deterministic rules, then Splink), keep stable person keys, store the golden records'
   identifiers in the vault; incremental after the first run.
8. **score_authenticity**: score every new or changed account and its person from 0 to 100
   with the reasons (`config/authenticity.yml`).
9. **validate_authenticity**: the `authenticity` expectation suite; a mass exclusion or an
   account without a person stops the run before the marts change.
10. **dbt_marts**: dbt through Cosmos, the candidate marts in `marts_build`: persons,
    accounts without the excluded ones (listed in `customer_review`), orders, RFM.
11. **validate_marts**: the `marts` expectation suite on `marts_build`.
12. **publish_marts**: replace the marts analysts read (`marts`) in one transaction.
    Until this task succeeds, analysts keep the previous day's marts.
13. **refresh_dashboards**: refresh the Superset dashboards' chart caches when Superset
    is reachable.
14. **report_run**: one summary line per layer in the task log.

Every row read is loaded or quarantined: see `audit.load_batches` and `audit.quarantine`.
Quality results land in `audit.quality_results` and in Data Docs under `$CW_HOME/data_docs`.

Settings come from `CW_*` environment variables (see `customer_warehouse.config`);
`CW_SOURCES` limits the sources (default `shop,events,olist`).
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import DbtResourceType, ExecutionMode, InvocationMode, LoadMode, TestBehavior

from customer_warehouse.airflow_support import notify_failure
from customer_warehouse.config import DBT_PROFILE, DBT_TARGET
from customer_warehouse.dbt_watcher import build_watcher_task, wire_watcher_tasks
from customer_warehouse.runtime import venv_bin

log = logging.getLogger(__name__)

DBT_PROJECT_DIR = Path(
    os.environ.get("CW_DBT_PROJECT_DIR", Path(__file__).resolve().parents[1] / "dbt_project")
)
DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# "watcher" runs a single dbt build (the producer task) and shows each model with its tests
# as a sensor task that reports that build's result. "local" runs a dbt build per model (the
# model and its tests) in its own task, each paying dbt's start-up: 7.6 times as long as one
# dbt build at 2,000 simulated customers (docs/benchmarks.md).
DBT_EXECUTION_MODE = ExecutionMode(os.environ.get("CW_DBT_EXECUTION_MODE", "watcher"))

default_args = {
    "owner": "data-engineering",
    "retries": int(os.environ.get("CW_TASK_RETRIES", "2")),
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "on_failure_callback": notify_failure,
}


# The dbt nodes tagged after_scoring (dbt_project.yml) read what identity resolution and
# authenticity scoring write: the marts, their seeds and the models under them. dbt_staging
# builds everything else before those two steps run, dbt_marts the tagged nodes after.
AFTER_SCORING = ["tag:after_scoring"]


def _dbt_render_config(select: list[str] | None = None, exclude: list[str] | None = None) -> RenderConfig:
    selection = {"select": select or [], "exclude": exclude or []}
    if DBT_EXECUTION_MODE is ExecutionMode.WATCHER:
        # One sensor task per model reports the model and all its tests, relationship
        # tests included, from the producer's single dbt build.
        node_converters = dict.fromkeys(
            (DbtResourceType.MODEL, DbtResourceType.SEED, DbtResourceType.SNAPSHOT), build_watcher_task
        )
        return RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=False,
            node_converters=node_converters,
            **selection,
        )
    return RenderConfig(
        load_method=LoadMode.DBT_MANIFEST,
        test_behavior=TestBehavior.BUILD,
        # Tests that span several models (relationships) run once all their parents exist.
        should_detach_multiple_parents_tests=True,
        **selection,
    )


def _dbt_group(
    group_id: str, select: list[str] | None = None, exclude: list[str] | None = None
) -> DbtTaskGroup:
    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(dbt_project_path=DBT_PROJECT_DIR, manifest_path=DBT_MANIFEST),
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name=DBT_TARGET,
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=DBT_EXECUTION_MODE,
            invocation_mode=InvocationMode.SUBPROCESS,
            # cw-dbt puts the connection settings and the pseudonymization key into the
            # dbt process's environment only, so they never reach rendered task fields.
            dbt_executable_path=venv_bin("cw-dbt"),
        ),
        render_config=_dbt_render_config(select, exclude),
        operator_args=_dbt_operator_args(),
        default_args={"retries": 0},
    )
    return group


def _after(upstream, group: DbtTaskGroup) -> DbtTaskGroup:
    """Set ``upstream >> group``, then, in watcher mode, wire the group's sensors after its producer."""
    upstream >> group
    if DBT_EXECUTION_MODE is ExecutionMode.WATCHER:
        wire_watcher_tasks(group)
    return group


def _dbt_operator_args() -> dict:
    if DBT_EXECUTION_MODE is ExecutionMode.WATCHER:
        # The sensors start after the producer (wire_watcher_tasks), so they find their
        # results at once and never defer. Should one wait, reschedule mode frees its slot.
        return {"install_deps": False, "deferrable": False, "mode": "reschedule", "poke_interval": 2}
    return {"install_deps": False}


def _sources() -> set[str]:
    return {s.strip() for s in os.environ.get("CW_SOURCES", "shop,events,olist").split(",") if s.strip()}


# The tasks, wired into the DAG at the end of the file.
@task
def bootstrap_warehouse() -> None:
    from customer_warehouse.config import settings
    from customer_warehouse.pii.vault import bootstrap_vault
    from customer_warehouse.warehouse import bootstrap

    cfg = settings()
    bootstrap(cfg.warehouse_url).dispose()
    bootstrap_vault(cfg.vault_url)


@task
def extract_shop(run_id: str | None = None) -> list[str]:
    from customer_warehouse.airflow_support import batch_ids_of
    from customer_warehouse.config import settings
    from customer_warehouse.ingest import extract_shop as extract

    if "shop" not in _sources():
        log.info("source shop is not in CW_SOURCES: nothing to extract (run %s)", run_id)
        return []
    return batch_ids_of(extract(settings(), run_id))


@task
def load_landed_files(run_id: str | None = None) -> list[str]:
    from customer_warehouse.airflow_support import batch_ids_of
    from customer_warehouse.config import settings
    from customer_warehouse.ingest import load_landing

    return batch_ids_of(load_landing(settings(), run_id))


@task
def purge_expired_landing(run_id: str | None = None) -> int:
    from customer_warehouse.config import settings
    from customer_warehouse.retention import purge_landing

    return len(purge_landing(settings(), run_id).deleted)


@task
def validate_raw(shop_batches: list[str], file_batches: list[str], run_id: str | None = None) -> dict:
    from customer_warehouse.airflow_support import outcome_summary
    from customer_warehouse.config import settings
    from customer_warehouse.quality import run_suite

    batches = [*shop_batches, *file_batches]
    return outcome_summary(run_suite(settings(), "raw_inputs", run_id, batch_ids=batches))


@task
def resolve_identities(run_id: str | None = None) -> dict:
    from customer_warehouse.config import settings
    from customer_warehouse.identity.pipeline import run_identity_resolution

    return run_identity_resolution(settings(), run_id)


@task
def score_authenticity(run_id: str | None = None) -> dict:
    from customer_warehouse.authenticity.pipeline import run_authenticity_scoring
    from customer_warehouse.config import settings

    return run_authenticity_scoring(settings(), run_id)


@task
def validate_authenticity(run_id: str | None = None) -> dict:
    from customer_warehouse.airflow_support import outcome_summary
    from customer_warehouse.config import settings
    from customer_warehouse.quality import run_suite

    return outcome_summary(run_suite(settings(), "authenticity", run_id))


@task
def validate_marts(run_id: str | None = None) -> dict:
    from customer_warehouse.airflow_support import outcome_summary
    from customer_warehouse.config import settings
    from customer_warehouse.quality import run_suite

    return outcome_summary(run_suite(settings(), "marts", run_id, schema="marts_build"))


@task
def publish_marts(run_id: str | None = None) -> dict[str, int]:
    from customer_warehouse.config import settings
    from customer_warehouse.publish import publish_marts as publish

    return {p.table: p.rows for p in publish(settings().warehouse_url, run_id)}


@task
def refresh_dashboards(run_id: str | None = None) -> list[str]:
    from customer_warehouse.dashboards import SupersetConfig
    from customer_warehouse.dashboards import refresh_dashboards as refresh

    return [item.title for item in refresh(SupersetConfig.from_settings())]


@task
def report_run(run_id: str | None = None) -> None:
    from customer_warehouse.config import settings
    from customer_warehouse.summary import log_summary

    log_summary(settings(), run_id)


@dag(
    dag_id="customer_warehouse",
    schedule="@daily",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args,
    tags=["customer-warehouse", "daily", "dbt", "great-expectations"],
    doc_md=__doc__,
)
def customer_warehouse():
    shop = extract_shop()
    files = load_landed_files()
    raw_checked = validate_raw(shop, files)
    bootstrap_warehouse() >> [shop, files]
    files >> purge_expired_landing()

    dbt_staging = _after(raw_checked, _dbt_group("dbt_staging", exclude=AFTER_SCORING))
    scored = dbt_staging >> resolve_identities() >> score_authenticity() >> validate_authenticity()
    dbt_marts = _after(scored, _dbt_group("dbt_marts", select=AFTER_SCORING))

    marts_checked = validate_marts()
    dbt_marts >> marts_checked
    marts_checked >> publish_marts() >> refresh_dashboards() >> report_run()


customer_warehouse()
