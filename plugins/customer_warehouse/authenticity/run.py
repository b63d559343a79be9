"""``score_accounts``: score a batch of accounts and store the results in the warehouse.

The entry point of the pipeline's authenticity task. It reads the stored history, the
reviewers' decisions and the postcode reference, and scores the batch in memory. It then
writes account and person scores, features, drift and cohort profiles in one
transaction, so a failed run leaves the previous scores in place. Every step logs one line with its counts
and the run id. The identity frame stays in memory: nothing written holds an identifier.

Incremental scoring: pass only the new and changed accounts (``changed_accounts`` picks
them). Cohort statistics, sign-up bursts and drift then take the other accounts from the
stored features, so a small batch is judged against the whole population.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import psycopg2

from customer_warehouse.authenticity.config import AuthenticityConfig, load_config
from customer_warehouse.authenticity.consistency import PostcodeReference, load_postcode_reference
from customer_warehouse.authenticity.features import conform_frame
from customer_warehouse.authenticity.persons import person_keys
from customer_warehouse.authenticity.scoring import ScoredBatch, score_batch
from customer_warehouse.authenticity.store import (
    read_decisions,
    read_history,
    read_person_accounts,
    stage_batch_keys,
    stored_versions,
    write_run_tables,
    write_scores,
)
from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.warehouse import bootstrap

log = logging.getLogger(__name__)


@dataclass
class ScoringSummary:
    """Counts of one scoring run, as the pipeline task returns them."""

    run_id: str
    accounts_scored: int
    accounts_excluded: int
    accounts_suspect: int
    persons_scored: int
    persons_excluded: int
    drift_warnings: int
    seconds: float
    reason_counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _summary(scored: ScoredBatch, run_id: str, seconds: float) -> ScoringSummary:
    accounts, persons = scored.accounts, scored.persons
    return ScoringSummary(
        run_id=run_id,
        accounts_scored=len(accounts),
        accounts_excluded=int(accounts["is_excluded"].sum()),
        accounts_suspect=int((accounts["band"] == "suspect").sum()),
        persons_scored=len(persons),
        persons_excluded=int(persons["is_excluded"].sum()) if len(persons) else 0,
        drift_warnings=int((scored.drift["status"] == "warning").sum()),
        seconds=seconds,
        reason_counts=scored.reason_counts,
    )


def _read_inputs(conn, frame: pd.DataFrame, person_of, run_id: str):
    started = time.perf_counter()
    with conn.cursor() as cur:
        history = read_history(cur)
        decisions = read_decisions(cur)
        keys = pd.DataFrame(
            {
                "customer_key": frame["customer_key"],
                "person_key": person_keys(frame["customer_key"], person_of),
            }
        )
        stage_batch_keys(cur, keys)
        stored_accounts = read_person_accounts(cur)
    log.info(
        "authenticity run %s: read %s stored account features, %s review decisions and %s other accounts "
        "of the batch's persons (%.1f s)",
        run_id,
        f"{len(history):,}",
        f"{len(decisions):,}",
        f"{len(stored_accounts):,}",
        time.perf_counter() - started,
    )
    return history, decisions, stored_accounts


def _write(conn, scored: ScoredBatch, run_id: str, started_at: datetime, config: AuthenticityConfig) -> None:
    started = time.perf_counter()
    with conn.cursor() as cur:
        write_scores(cur, scored, run_id)
        write_run_tables(cur, scored, run_id, started_at, config.sha256)
    conn.commit()
    log.info(
        "authenticity run %s: wrote %s account scores, %s person scores, %s drift results and %s cohort "
        "profiles into schema authenticity in one transaction (%.1f s)",
        run_id,
        f"{len(scored.accounts):,}",
        f"{len(scored.persons):,}",
        f"{len(scored.drift):,}",
        f"{len(scored.profiles):,}",
        time.perf_counter() - started,
    )


def score_accounts(
    frame: pd.DataFrame,
    facts: pd.DataFrame | None,
    warehouse_url: str,
    run_id: str,
    person_of: dict[str, str] | pd.Series | None = None,
    *,
    config: AuthenticityConfig | None = None,
    references: Sequence[PostcodeReference] | None = None,
) -> ScoringSummary:
    """Score the accounts of ``frame`` with their ``facts`` and store the results; return the counts.

    ``person_of`` maps customer_key to person_key (from identity resolution); accounts it
    does not map are their own person. ``references`` defaults to the postcode references
    the warehouse holds (the Olist geolocation export for Brazil).
    """
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    config = config or load_config()
    frame = conform_frame(frame)
    log.info(
        "authenticity run %s: scoring %s accounts (config %s)", run_id, f"{len(frame):,}", config.sha256[:12]
    )
    bootstrap(warehouse_url).dispose()
    if references is None:
        references = load_postcode_reference(warehouse_url)
    conn = psycopg2.connect(psycopg2_dsn(warehouse_url))
    try:
        history, decisions, stored_accounts = _read_inputs(conn, frame, person_of, run_id)
        scored = score_batch(
            frame,
            facts,
            config,
            history=history,
            stored_accounts=stored_accounts,
            references=references,
            decisions=decisions,
            person_of=person_of,
            as_of=started_at.date(),
            run_id=run_id,
        )
        _write(conn, scored, run_id, started_at, config)
    except Exception:
        conn.rollback()
        log.exception("authenticity run %s failed; nothing was written, the previous scores stay", run_id)
        raise
    finally:
        conn.close()
    summary = _summary(scored, run_id, time.perf_counter() - clock)
    log.info(
        "authenticity run %s: %s accounts scored, %s excluded, %s suspect; %s persons, %s excluded; "
        "%s drift warnings (%.1f s)",
        run_id,
        f"{summary.accounts_scored:,}",
        f"{summary.accounts_excluded:,}",
        f"{summary.accounts_suspect:,}",
        f"{summary.persons_scored:,}",
        f"{summary.persons_excluded:,}",
        summary.drift_warnings,
        summary.seconds,
    )
    return summary


def changed_accounts(frame: pd.DataFrame, warehouse_url: str) -> pd.DataFrame:
    """Return the rows of ``frame`` never scored, or changed in their source since their last scoring.

    An account counts as changed when its ``updated_at`` is later than the one stored at
    its last scoring, or when either is unknown.
    """
    frame = conform_frame(frame)
    bootstrap(warehouse_url).dispose()
    conn = psycopg2.connect(psycopg2_dsn(warehouse_url))
    try:
        with conn, conn.cursor() as cur:
            versions = stored_versions(cur)
    finally:
        conn.close()
    stored = frame[["customer_key"]].merge(versions, on="customer_key", how="left")["source_updated_at"]
    current = pd.to_datetime(frame["updated_at"], utc=True, errors="coerce")
    changed = stored.isna().to_numpy() | current.isna().to_numpy() | (current.to_numpy() > stored.to_numpy())
    log.info(
        "%s of %s accounts are new or changed since their last authenticity scoring",
        f"{int(changed.sum()):,}",
        f"{len(frame):,}",
    )
    return frame[changed].reset_index(drop=True)
