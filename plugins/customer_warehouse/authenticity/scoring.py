"""Score one batch of accounts in memory: every check, the combined scores, profiles and drift.

``score_batch`` reads nothing and writes nothing: the caller passes the stored history
and decisions in and stores what comes out (``run.score_accounts`` does both). The
identity frame never leaves this function, and what it returns contains no direct
identifier.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.anomaly import anomaly_findings
from customer_warehouse.authenticity.cohorts import check_attributes, outlier_findings, population_levels
from customer_warehouse.authenticity.combine import apply_decisions, bands, combine
from customer_warehouse.authenticity.config import AuthenticityConfig
from customer_warehouse.authenticity.consistency import (
    PostcodeReference,
    check_bursts,
    check_payments,
    check_postcode_places,
)
from customer_warehouse.authenticity.drift import drift_report
from customer_warehouse.authenticity.features import account_features, align_facts, conform_frame, population
from customer_warehouse.authenticity.names import check_names
from customer_warehouse.authenticity.persons import person_keys, score_persons
from customer_warehouse.authenticity.plausibility import births, plausibility_findings
from customer_warehouse.authenticity.profiles import cohort_profiles
from customer_warehouse.authenticity.reasons import Finding, collect
from customer_warehouse.authenticity.validity import validity_findings

log = logging.getLogger(__name__)

ACCOUNT_COLUMNS = (
    "customer_key",
    "source",
    "person_key",
    "score",
    "band",
    "is_excluded",
    "reason_codes",
    "reasons",
    "evidence",
    "review_decision",
    "source_updated_at",
)


@dataclass
class ScoredBatch:
    """Everything one scoring run produces; none of it contains a direct identifier."""

    accounts: pd.DataFrame
    persons: pd.DataFrame
    features: pd.DataFrame
    profiles: pd.DataFrame
    drift: pd.DataFrame
    reason_counts: dict[str, int]


def _run_steps(
    steps: Sequence[tuple[str, Callable[[], list[Finding]]]], rows: int, run_id: str
) -> list[Finding]:
    findings: list[Finding] = []
    for name, step in steps:
        started = time.perf_counter()
        found = step()
        accounts = len(np.unique(np.concatenate([item.rows for item in found]))) if found else 0
        counts = Counter()
        for item in found:
            counts[item.code] += len(item)
        log.info(
            "authenticity run %s: %s checks gave %s reasons to %s of %s accounts %s (%.1f s)",
            run_id,
            name,
            f"{sum(counts.values()):,}",
            f"{accounts:,}",
            f"{rows:,}",
            dict(counts.most_common()),
            time.perf_counter() - started,
        )
        findings.extend(found)
    return findings


def score_batch(
    frame: pd.DataFrame,
    facts: pd.DataFrame | None,
    config: AuthenticityConfig,
    *,
    history: pd.DataFrame | None = None,
    stored_accounts: pd.DataFrame | None = None,
    references: Sequence[PostcodeReference] = (),
    decisions: pd.DataFrame | None = None,
    person_of: dict[str, str] | pd.Series | None = None,
    as_of: date | None = None,
    run_id: str = "-",
) -> ScoredBatch:
    """Score the accounts of ``frame`` (identity frame) with their ``facts`` (account facts frame).

    ``history`` contains the stored features of earlier runs, for cohorts, bursts and drift.
    ``stored_accounts`` contains the stored account scores of the batch's persons that are not in
    this batch, so person scores see every account. ``as_of`` stands in for an unknown
    sign-up day (default: today, UTC).
    """
    check_attributes(config)
    frame = conform_frame(frame)
    facts = align_facts(frame, facts)
    born = births(frame, facts, config, as_of or datetime.now(UTC).date())
    features = account_features(frame, facts, born, config)
    pool, batch_rows = population(features, history)
    levels = population_levels(pool, config)
    steps = [
        ("validity", lambda: validity_findings(frame, config)),
        ("name", lambda: check_names(frame, config)),
        ("plausibility", lambda: plausibility_findings(born, facts, config)),
        (
            "consistency",
            lambda: collect(
                check_postcode_places(frame, list(references)),
                check_bursts(pool, batch_rows, config),
                check_payments(facts),
            ),
        ),
        ("cohort", lambda: outlier_findings(pool, levels, batch_rows, config)),
        ("anomaly", lambda: anomaly_findings(pool, batch_rows, config)),
    ]
    findings = _run_steps(steps, len(frame), run_id)
    accounts = _accounts(frame, findings, decisions, person_of, config)
    every = accounts if stored_accounts is None else pd.concat([stored_accounts, accounts], ignore_index=True)
    reason_counts = Counter(code for codes in accounts["reason_codes"] for code in codes)
    drift = drift_report(features, history if history is not None else features.iloc[0:0], config)
    for row in drift[drift["status"] == "warning"].itertuples():
        log.warning(
            "authenticity run %s: %s of source %s drifted: %s", run_id, row.attribute, row.source, row.message
        )
    return ScoredBatch(
        accounts=accounts,
        persons=score_persons(every, config),
        features=features,
        profiles=cohort_profiles(pool, levels, config),
        drift=drift,
        reason_counts=dict(reason_counts.most_common()),
    )


def _accounts(
    frame: pd.DataFrame,
    findings: list[Finding],
    decisions: pd.DataFrame | None,
    person_of: dict[str, str] | pd.Series | None,
    config: AuthenticityConfig,
) -> pd.DataFrame:
    combined = combine(findings, len(frame), config)
    excluded, decided = apply_decisions(frame["customer_key"], combined.score, decisions, config)
    return pd.DataFrame(
        {
            "customer_key": frame["customer_key"].astype("object"),
            "source": frame["source"].astype("object"),
            "person_key": person_keys(frame["customer_key"], person_of),
            "score": combined.score,
            "band": bands(combined.score, config),
            "is_excluded": excluded,
            "reason_codes": combined.codes,
            "reasons": combined.reasons,
            "evidence": combined.evidence,
            "review_decision": decided,
            "source_updated_at": pd.to_datetime(frame["updated_at"], utc=True, errors="coerce"),
        }
    )[list(ACCOUNT_COLUMNS)]
