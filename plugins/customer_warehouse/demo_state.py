"""State checks and the start-over of ``cw demo``.

``cw demo`` keeps its state in two places: the local databases (``shop``, ``warehouse``,
``vault``, ``airflow``, ``superset``) with the roles ``cw_pipeline``, ``cw_analyst``,
``cw_dashboard``, ``cw_privacy_officer`` and ``cw_restorer``, and the folder ``CW_HOME``
(default ``var/``) with the simulation's truth and the generated keys. ``make clean``
removes the folder only. ``check_demo_state`` detects the mismatch before the demo
changes anything, and ``start_over`` drops the demo's databases, roles and folders, but
only while every setting has its local default.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from customer_warehouse.access import PASSWORD_VARIABLES, drop_roles
from customer_warehouse.config import DEFAULT_ADMIN_URL, DEFAULT_ROLE_PREFIX, LOCAL_SERVER, Settings
from customer_warehouse.db import database_exists, drop_database, engine
from customer_warehouse.runtime import airflow_db_url

log = logging.getLogger(__name__)

START_OVER = "`make demo FRESH=1` (or `cw demo --fresh`)"
PIPELINE_ROLE = f"{DEFAULT_ROLE_PREFIX}pipeline"
# The settings start_over accepts, by environment variable: the local defaults of
# customer_warehouse.config, customer_warehouse.runtime and customer_warehouse.dashboards.
DEFAULT_URLS = {
    "CW_SHOP_URL": LOCAL_SERVER.format(user="postgres", database="shop"),
    "CW_WAREHOUSE_URL": LOCAL_SERVER.format(user=PIPELINE_ROLE, database="warehouse"),
    "CW_VAULT_URL": LOCAL_SERVER.format(user=PIPELINE_ROLE, database="vault"),
    "CW_AIRFLOW_DB_URL": LOCAL_SERVER.format(user="postgres", database="airflow"),
    "SUPERSET_DATABASE_URI": LOCAL_SERVER.format(user="postgres", database="superset"),
    "CW_ADMIN_URL": DEFAULT_ADMIN_URL,
}
# Variables whose mere presence means the demo does not run on its own local defaults.
DEPLOYMENT_VARIABLES = (
    "CW_VAULT_ADMIN_URL",
    "CW_ANALYST_URL",
    "CW_DASHBOARD_URL",
    "CW_PRIVACY_OFFICER_URL",
    "CW_LANDING_DIR",
    "CW_TRUTH_DIR",
    "CW_DATA_DOCS_DIR",
)


class DemoStateError(RuntimeError):
    """The demo's databases and its ``CW_HOME`` folder do not belong together, or a reset is unsafe."""


@dataclass(frozen=True)
class DemoTargets:
    """Database URLs, role names and folders that ``start_over`` removes."""

    admin_url: str
    databases: tuple[str, ...]
    roles: tuple[str, ...]
    folders: tuple[str, ...]


def demo_urls(cfg: Settings) -> dict[str, str]:
    """Return the URL of each database the demo uses, by the variable that sets it."""
    return {
        "CW_SHOP_URL": cfg.shop_url,
        "CW_WAREHOUSE_URL": cfg.warehouse_url,
        "CW_VAULT_URL": cfg.vault_url,
        "CW_AIRFLOW_DB_URL": airflow_db_url(),
        "SUPERSET_DATABASE_URI": os.environ.get(
            "SUPERSET_DATABASE_URI", DEFAULT_URLS["SUPERSET_DATABASE_URI"]
        ),
        "CW_ADMIN_URL": cfg.admin_url,
    }


def _same_url(first: str, second: str) -> bool:
    """Return True when both URLs name the same server, user, password, database and options."""
    a, b = make_url(first), make_url(second)
    return a._replace(drivername=a.get_backend_name()) == b._replace(drivername=b.get_backend_name())


def non_default_settings(cfg: Settings) -> list[str]:
    """Return the variables set away from the local defaults, which ``start_over`` rejects."""
    changed = [name for name, url in demo_urls(cfg).items() if not _same_url(url, DEFAULT_URLS[name])]
    if cfg.role_prefix != DEFAULT_ROLE_PREFIX:
        # The default warehouse and vault URLs connect as <prefix>pipeline, so a prefix
        # alone changes them: name only the variables the environment sets.
        changed = [name for name in changed if name in os.environ]
        changed.append("CW_ROLE_PREFIX")
    changed += [name for name in DEPLOYMENT_VARIABLES if os.environ.get(name)]
    return changed


def reset_targets(cfg: Settings) -> DemoTargets:
    """Return what a start-over removes; raise DemoStateError unless every setting is a local default.

    A changed URL may point at a real warehouse, so the demo never drops it.
    """
    changed = non_default_settings(cfg)
    if changed:
        raise DemoStateError(
            f"start-over rejected: {', '.join(changed)} differ from the local defaults "
            "(customer_warehouse/config.py), so these databases may not be the demo's own. "
            "Drop them yourself, or unset these variables to reset the local demo."
        )
    return DemoTargets(
        admin_url=cfg.admin_url,
        databases=tuple(demo_urls(cfg)[name] for name in DEFAULT_URLS if name != "CW_ADMIN_URL"),
        roles=tuple(cfg.role(name) for name in PASSWORD_VARIABLES),
        folders=(str(cfg.truth_dir), str(cfg.landing_dir), str(cfg.data_docs_dir)),
    )


def drop_demo(targets: DemoTargets) -> None:
    """Drop the databases, then the roles (which hold privileges in them), then remove the folders.

    Each database is dropped through the administrator URL, because the pipeline role of
    the warehouse and vault URLs does not own its database.
    """
    for url in targets.databases:
        name = make_url(url).database
        drop_database(make_url(targets.admin_url).set(database=name))
        log.info("dropped database %s (if it existed)", name)
    drop_roles(targets.admin_url, "", names=targets.roles)
    for folder in targets.folders:
        shutil.rmtree(folder, ignore_errors=True)
        log.info("removed %s", folder)


def start_over(cfg: Settings) -> None:
    """Drop the demo's databases, roles and generated data so the next steps rebuild them."""
    drop_demo(reset_targets(cfg))


def check_demo_state(cfg: Settings) -> None:
    """Raise DemoStateError when the databases hold data the files under CW_HOME no longer match.

    Reads only, through the administrator URL for the vault, so it works before ``cw init``
    has created the roles.
    """
    _check_platform_truth(cfg)
    _check_vault_keys(cfg)


def _check_platform_truth(cfg: Settings) -> None:
    from customer_warehouse.simulator.truth import RUN_FILE

    run_file = cfg.truth_dir / RUN_FILE
    if run_file.is_file() or not database_exists(cfg.shop_url):
        return
    count = _count_rows(cfg.shop_url, "customers")
    if count:
        raise DemoStateError(
            f"the shop database {make_url(cfg.shop_url).database} contains {count:,} customers, but "
            f"{run_file} is missing (removed by `make clean`?), so the simulation cannot advance. "
            f"Run {START_OVER} to drop the demo's databases and roles and start again."
        )


def _check_vault_keys(cfg: Settings) -> None:
    vault_db = make_url(cfg.vault_url).database
    vault_admin = make_url(cfg.vault_admin_url or cfg.admin_url).set(database=vault_db)
    if not database_exists(vault_admin):
        return
    row = _first_identity(vault_admin)
    if row is None:
        return
    customer_key, source, source_id, blob = row
    name = f"the vault database {vault_db}"
    start_again = f"Run {START_OVER} to drop the demo's databases and roles and start again."
    if not os.environ.get("CW_VAULT_KEYS") or not os.environ.get("CW_PSEUDONYM_KEY"):
        raise DemoStateError(
            f"{name} contains encrypted records, but CW_VAULT_KEYS or CW_PSEUDONYM_KEY is not set and "
            f"{cfg.home / 'secrets.env'} does not contain it (removed by `make clean`?), so the "
            f"records cannot be read. Restore that file, or {start_again[0].lower()}{start_again[1:]}"
        )
    from customer_warehouse.pii.crypto import DecryptionError, KeyRing, VaultKeyError
    from customer_warehouse.pii.keys import Pseudonymizer

    try:
        KeyRing.from_env().decrypt(bytes(blob), customer_key)
    except (DecryptionError, VaultKeyError) as error:
        raise DemoStateError(
            f"{name} contains records that CW_VAULT_KEYS cannot decrypt ({error}): the keys in "
            f"{cfg.home / 'secrets.env'} were generated after the vault was filled. {start_again}"
        ) from error
    if Pseudonymizer.from_env().customer_key(source, source_id) != customer_key:
        raise DemoStateError(
            f"{name} contains customer keys made with another CW_PSEUDONYM_KEY than the one in "
            f"{cfg.home / 'secrets.env'}, so new loads would not join the stored ones. {start_again}"
        )


def _count_rows(url: str, table: str) -> int:
    eng = engine(url)
    try:
        with eng.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return 0
            return int(conn.scalar(sa.text(f"select count(*) from {table}")))
    finally:
        eng.dispose()


def _first_identity(url) -> tuple | None:
    """Return (customer_key, source, source_customer_id, identity) of one vault record, or None."""
    eng = engine(url)
    try:
        with eng.connect() as conn:
            if not sa.inspect(conn).has_table("customer_identities", schema="pii"):
                return None
            return conn.execute(
                sa.text(
                    "select customer_key, source, source_customer_id, identity "
                    "from pii.customer_identities limit 1"
                )
            ).first()
    finally:
        eng.dispose()
