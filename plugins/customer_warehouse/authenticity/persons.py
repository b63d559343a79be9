"""Person scores from the scores of a person's accounts.

A person is as credible as its most credible account: one real account shows a real
person, whatever duplicates or abandoned sign-ups sit beside it. Person-level reasons
(too many accounts) are subtracted from that best score. A person is excluded when every
one of its accounts is excluded, or when its score falls under the exclusion threshold
and no reviewer kept any of its accounts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.combine import INCLUDE, bands
from customer_warehouse.authenticity.config import AuthenticityConfig

PERSON_COLUMNS = (
    "person_key",
    "score",
    "band",
    "is_excluded",
    "accounts",
    "excluded_accounts",
    "reason_codes",
    "reasons",
)


def person_keys(keys: pd.Series, person_of: dict[str, str] | pd.Series | None) -> pd.Series:
    """Map account keys to person keys; an account missing from ``person_of`` is its own person."""
    if person_of is None:
        return keys.astype("object")
    mapped = keys.map(person_of) if isinstance(person_of, pd.Series) else keys.map(dict(person_of))
    return mapped.astype("object").where(mapped.notna(), keys)


def score_persons(accounts: pd.DataFrame, config: AuthenticityConfig) -> pd.DataFrame:
    """Score every person of ``accounts`` (columns person_key, score, is_excluded, reason_codes, reasons)."""
    if accounts.empty:
        return pd.DataFrame(columns=list(PERSON_COLUMNS))
    ordered = accounts.sort_values(["person_key", "score"], ascending=[True, False], kind="stable")
    grouped = ordered.groupby("person_key", sort=False)
    counts = grouped.size()
    best = grouped.head(1).set_index("person_key").reindex(counts.index)
    excluded_counts = grouped["is_excluded"].sum().astype(int).reindex(counts.index)
    included_by_review = (
        (ordered["review_decision"] == INCLUDE).groupby(ordered["person_key"]).any().reindex(counts.index)
    )
    many = (counts > config.max_accounts_per_person).to_numpy()
    penalty = np.where(many, config.weights["person_many_accounts"], 0)
    score = np.clip(best["score"].to_numpy(dtype=float) - penalty, 0, 100)
    all_excluded = (excluded_counts == counts).to_numpy()
    under = (score < config.exclusion_threshold) & ~included_by_review.to_numpy(dtype=bool)
    persons = pd.DataFrame(
        {
            "person_key": counts.index,
            "score": score,
            "is_excluded": all_excluded | under,
            "accounts": counts.to_numpy(),
            "excluded_accounts": excluded_counts.to_numpy(),
        }
    )
    persons["band"] = bands(persons["score"].to_numpy(), config)
    persons["reason_codes"], persons["reasons"] = _person_reasons(best, counts, excluded_counts, many, config)
    return persons[list(PERSON_COLUMNS)].reset_index(drop=True)


def _person_reasons(best, counts, excluded_counts, many, config: AuthenticityConfig) -> tuple[list, list]:
    codes, texts = [], []
    for total, excluded, crowded, own, reasons in zip(
        counts.to_numpy(),
        excluded_counts.to_numpy(),
        many,
        best["reason_codes"].tolist(),
        best["reasons"].tolist(),
        strict=True,
    ):
        parts = [f"{excluded} of {total} accounts excluded"]
        own = list(own)
        if crowded:
            own.insert(0, "person_many_accounts")
            parts.append(f"{total} accounts, more than {config.max_accounts_per_person} for one person")
        if reasons:
            parts.append(f"best account: {reasons}")
        codes.append(own)
        texts.append("; ".join(parts))
    return codes, texts
