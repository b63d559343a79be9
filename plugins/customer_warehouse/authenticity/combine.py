"""From findings to scores: weights subtracted from 100, bands, reason lists and reviewer decisions.

Each reason code subtracts its weight once per account, however many findings carry it
(an account with two cohort outliers loses the cohort_outlier weight once and lists both
texts). Reasons are listed by weight, heaviest first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.config import AuthenticityConfig
from customer_warehouse.authenticity.reasons import Finding

TRUSTED, SUSPECT, EXCLUDED = "trusted", "suspect", "excluded"
INCLUDE, EXCLUDE = "include", "exclude"


@dataclass
class Combined:
    """Per account, in batch order: score, reason codes, reason texts and evidence JSON."""

    score: np.ndarray
    codes: list[list[str]]
    reasons: list[str]
    evidence: list[str]


def _flat_findings(findings: list[Finding], config: AuthenticityConfig) -> pd.DataFrame:
    parts = []
    for item in findings:
        evidence = [
            {name: values[i] for name, values in item.evidence.items()} for i in range(len(item.rows))
        ]
        parts.append(
            pd.DataFrame(
                {
                    "row": item.rows,
                    "code": item.code,
                    "weight": config.weights[item.code],
                    "text": [item.text_at(i) for i in range(len(item.rows))],
                    "evidence": evidence,
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["row", "code", "weight", "text", "evidence"])
    flat = pd.concat(parts, ignore_index=True)
    return flat.sort_values(["row", "weight", "code"], ascending=[True, False, True], kind="stable")


def combine(findings: list[Finding], rows: int, config: AuthenticityConfig) -> Combined:
    """Score ``rows`` accounts from their findings."""
    flat = _flat_findings(findings, config)
    penalties = np.zeros(rows)
    unique = flat.drop_duplicates(["row", "code"])
    np.add.at(penalties, unique["row"].to_numpy(dtype=np.int64), unique["weight"].to_numpy(dtype=float))
    score = np.clip(100.0 - penalties, 0.0, 100.0)
    codes: list[list[str]] = [[] for _ in range(rows)]
    texts: dict[int, dict[str, None]] = {}
    evidence: dict[int, dict[str, list]] = {}
    for row, code, text, item in zip(flat["row"], flat["code"], flat["text"], flat["evidence"], strict=True):
        if code not in codes[row]:
            codes[row].append(code)
        texts.setdefault(row, {})[text] = None
        if item:
            evidence.setdefault(row, {}).setdefault(code, []).append(item)
    reasons = [""] * rows
    for row, written in texts.items():
        reasons[row] = "; ".join(written)
    documents = ["{}"] * rows
    for row, by_code in evidence.items():
        documents[row] = json.dumps(by_code, ensure_ascii=False, sort_keys=True, allow_nan=False, default=str)
    return Combined(score, codes, reasons, documents)


def bands(score: np.ndarray, config: AuthenticityConfig) -> np.ndarray:
    return np.where(
        score < config.exclusion_threshold,
        EXCLUDED,
        np.where(score < config.review_threshold, SUSPECT, TRUSTED),
    ).astype(object)


def apply_decisions(
    keys: pd.Series, score: np.ndarray, decisions: pd.DataFrame | None, config: AuthenticityConfig
) -> tuple[np.ndarray, np.ndarray]:
    """Return (is_excluded, review_decision) per account: the reviewer's decision where one exists.

    ``decisions`` has columns customer_key and decision (include or exclude). Without a
    decision an account is excluded when its score is under the exclusion threshold.
    """
    excluded = score < config.exclusion_threshold
    decided = np.full(len(keys), None, dtype=object)
    if decisions is None or decisions.empty:
        return excluded, decided
    lookup = dict(zip(decisions["customer_key"], decisions["decision"], strict=True))
    decided = keys.map(lookup).astype("object").where(lambda values: values.notna(), None).to_numpy()
    excluded = np.where(decided == INCLUDE, False, np.where(decided == EXCLUDE, True, excluded))
    return excluded.astype(bool), decided
