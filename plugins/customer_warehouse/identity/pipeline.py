"""Identity resolution as a pipeline step: build the frame, resolve, keep golden records in the vault.

The first run resolves every account. Later runs are incremental: they take the accounts
loaded since the previous run started, and the resolver fetches the stored accounts
they may match through ``load_accounts``. ``CW_IDENTITY_FULL=1`` forces a full run, for
example after a change of ``config/identity.yml``.

Golden identifiers (name, email, phone, birth date, address of each person) are written
encrypted to ``pii.person_identities``; the vault records of persons merged away or
retired are deleted, so a person's identifiers are never kept twice.
"""

from __future__ import annotations

import logging
import os
import uuid
from datetime import date, datetime

import pandas as pd
import psycopg2
import sqlalchemy as sa

from customer_warehouse.config import Settings
from customer_warehouse.db import engine, psycopg2_dsn
from customer_warehouse.identity.resolve import resolve_identities
from customer_warehouse.identity.sources import changed_account_keys, pipeline_identity_frame
from customer_warehouse.pii.crypto import KeyRing
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.vault import VaultRow, bootstrap_vault, write_rows
from customer_warehouse.warehouse import bootstrap

log = logging.getLogger(__name__)

FULL_RUN_VARIABLE = "CW_IDENTITY_FULL"


def _previous_start(warehouse_url: str) -> datetime | None:
    eng = engine(warehouse_url)
    try:
        with eng.connect() as conn:
            return conn.scalar(sa.text("select max(started_at) from identity.runs"))
    finally:
        eng.dispose()


def _vault_value(value: object) -> object:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def store_golden_identifiers(vault_url: str, warehouse_url: str, golden: pd.DataFrame, run_id: str) -> dict:
    """Upsert the run's golden identifiers into the vault and delete those of persons no longer active."""
    rows = [
        VaultRow(str(person_key), {k: _vault_value(v) for k, v in record.items()}, {"run_id": run_id})
        for person_key, record in golden.to_dict(orient="index").items()
    ]
    eng = engine(warehouse_url)
    try:
        with eng.connect() as conn:
            inactive = conn.scalars(
                sa.text("select person_key from identity.persons where status <> 'active'")
            ).all()
    finally:
        eng.dispose()
    conn = psycopg2.connect(psycopg2_dsn(vault_url))
    try:
        with conn, conn.cursor() as cur:
            written = write_rows(cur, "pii.person_identities", rows, KeyRing.from_env())
            cur.execute("delete from pii.person_identities where person_key = any(%s)", (list(inactive),))
            deleted = cur.rowcount
    finally:
        conn.close()
    log.info(
        "stored golden identifiers of %s persons in the vault, deleted %s of merged or retired ones (run %s)",
        f"{written:,}",
        f"{deleted:,}",
        run_id,
    )
    return {"golden_written": written, "golden_deleted": deleted}


def run_identity_resolution(settings: Settings, run_id: str, full: bool | None = None) -> dict:
    """Resolve the warehouse's accounts into persons for pipeline run ``run_id``; return the counts."""
    keys, ring = Pseudonymizer.from_env(), KeyRing.from_env()
    bootstrap(settings.warehouse_url).dispose()
    bootstrap_vault(settings.vault_url)
    full = os.environ.get(FULL_RUN_VARIABLE, "") in ("1", "true") if full is None else full
    since = None if full else _previous_start(settings.warehouse_url)
    changed = None if since is None else changed_account_keys(settings.warehouse_url, since, keys)
    frame = pipeline_identity_frame(settings.warehouse_url, settings.vault_url, changed, keys, ring)
    log.info(
        "identity resolution of run %s: %s accounts (%s)",
        run_id,
        f"{len(frame):,}",
        "every account" if since is None else f"loaded since {since.isoformat()}",
    )

    def load_accounts(wanted: set[str]) -> pd.DataFrame:
        return pipeline_identity_frame(settings.warehouse_url, settings.vault_url, wanted, keys, ring)

    # Each attempt gets its own id, because the resolver keeps one record per id.
    attempt_id = f"{run_id}#{uuid.uuid4().hex[:8]}"
    result = resolve_identities(
        frame.drop(columns=["loaded_at"]),
        settings.warehouse_url,
        attempt_id,
        keys,
        incremental=since is not None,
        load_accounts=load_accounts,
    )
    stored = store_golden_identifiers(
        settings.vault_url, settings.warehouse_url, result.golden_identifiers, attempt_id
    )
    return {**result.summary(), **stored}
