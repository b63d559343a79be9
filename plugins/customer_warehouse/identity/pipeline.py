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


def _shared_key_groups(vault_url: str, warehouse_url: str) -> dict[str, list[tuple[str, list[str]]]]:
    """Return, per key kind, the (key, customer keys) groups of accounts sharing that key.

    Emails and phones are compared by their blind indexes in the vault, so nothing is
    decrypted; platform person ids come from Olist staging.
    """
    groups: dict[str, list[tuple[str, list[str]]]] = {}
    conn = psycopg2.connect(psycopg2_dsn(vault_url))
    try:
        with conn, conn.cursor() as cur:
            for kind in ("email", "phone"):
                cur.execute(
                    f"select {kind}_index, array_agg(customer_key) from pii.customer_identities"
                    f" where {kind}_index is not null group by {kind}_index"
                )
                groups[kind] = cur.fetchall()
    finally:
        conn.close()
    eng = engine(warehouse_url)
    try:
        with eng.connect() as conn:
            if conn.scalar(sa.text("select to_regclass('staging.stg_olist__customers') is not null")):
                ids = conn.execute(
                    sa.text(
                        "select customer_unique_id, array_agg(customer_id) from staging.stg_olist__customers"
                        " group by customer_unique_id"
                    )
                ).all()
                keys = Pseudonymizer.from_env()
                groups["person_ref"] = [
                    (ref, [keys.customer_key("olist", cid) for cid in cids]) for ref, cids in ids
                ]
    finally:
        eng.dispose()
    return groups


def measure_residual_duplicates(settings: Settings, run_id: str) -> dict[str, int]:
    """Count the groups sharing an email, phone or platform person id that span several persons.

    Writes one ``identity.residual_duplicates`` row per key kind and returns the accounts in
    such groups per kind. A family mailbox shared by two people counts too, which is why
    the authenticity suite only warns on a growing share.
    """
    groups = _shared_key_groups(settings.vault_url, settings.warehouse_url)
    eng = engine(settings.warehouse_url)
    counts: dict[str, int] = {}
    try:
        with eng.begin() as conn:
            person_of = dict(
                conn.execute(sa.text("select customer_key, person_key from identity.person_accounts")).all()
            )
            for kind, members in groups.items():
                split = [keys for _, keys in members if len({person_of.get(k, k) for k in keys}) > 1]
                counts[kind] = sum(len(keys) for keys in split)
                conn.execute(
                    sa.text(
                        "insert into identity.residual_duplicates"
                        " (run_id, key_kind, groups, accounts, accounts_total)"
                        " values (:run_id, :kind, :groups, :accounts, :total)"
                        " on conflict (run_id, key_kind) do update set groups = excluded.groups,"
                        " accounts = excluded.accounts, accounts_total = excluded.accounts_total"
                    ),
                    {
                        "run_id": run_id,
                        "kind": kind,
                        "groups": len(split),
                        "accounts": counts[kind],
                        "total": sum(len(keys) for _, keys in members),
                    },
                )
    finally:
        eng.dispose()
    log.info("duplicates left after identity run %s: %s", run_id, counts)
    return counts


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
    residual = measure_residual_duplicates(settings, attempt_id)
    return {**result.summary(), **stored, **{f"residual_{kind}": count for kind, count in residual.items()}}
