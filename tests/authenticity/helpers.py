"""Helpers for the authenticity tests: score a frame in memory and read reasons per account."""

from __future__ import annotations

import pandas as pd

from customer_warehouse.authenticity import AuthenticityConfig, score_batch
from customer_warehouse.authenticity.scoring import ScoredBatch


def score(
    frame: pd.DataFrame, config: AuthenticityConfig, facts: pd.DataFrame | None = None, **options
) -> ScoredBatch:
    return score_batch(frame, facts, config, **options)


def codes_of(scored: ScoredBatch) -> list[list[str]]:
    return [list(codes) for codes in scored.accounts["reason_codes"]]


def reasons_of(scored: ScoredBatch) -> list[str]:
    return scored.accounts["reasons"].tolist()
