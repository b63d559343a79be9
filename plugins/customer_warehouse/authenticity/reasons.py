"""Reason codes and findings: what a check found about which accounts, in words without identifiers.

A check returns ``Finding`` objects: one reason code, the positions of the accounts it
applies to, a text per account and optional evidence per account. Texts and evidence
name coarse facts only (an email domain of a disposable provider, a phone's country, a
birth year, a count), never the identifier itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

VALIDITY = "validity"
PLAUSIBILITY = "plausibility"
CONSISTENCY = "consistency"
COMPLETENESS = "completeness"
STATISTICS = "statistics"
PERSON = "person"

# Every reason code the scoring can give, with its kind of evidence.
REASON_KINDS: dict[str, str] = {
    "email_invalid": VALIDITY,
    "email_disposable": VALIDITY,
    "email_test_address": VALIDITY,
    "phone_invalid": VALIDITY,
    "postcode_invalid": VALIDITY,
    "name_test_value": PLAUSIBILITY,
    "name_keyboard_noise": PLAUSIBILITY,
    "name_repeated_letters": PLAUSIBILITY,
    "name_too_short": PLAUSIBILITY,
    "name_has_digits": PLAUSIBILITY,
    "name_has_symbols": PLAUSIBILITY,
    "name_mixed_scripts": PLAUSIBILITY,
    "birth_date_too_old": PLAUSIBILITY,
    "birth_date_too_young": PLAUSIBILITY,
    "birth_date_in_future": PLAUSIBILITY,
    "birth_date_placeholder": PLAUSIBILITY,
    "marital_status_unknown": PLAUSIBILITY,
    "education_unknown": PLAUSIBILITY,
    "income_placeholder": PLAUSIBILITY,
    "postcode_city_mismatch": CONSISTENCY,
    "postcode_state_mismatch": CONSISTENCY,
    "signup_burst_device": CONSISTENCY,
    "signup_burst_ip": CONSISTENCY,
    "orders_without_payment": CONSISTENCY,
    "name_missing": COMPLETENESS,
    "email_missing": COMPLETENESS,
    "phone_missing": COMPLETENESS,
    "cohort_outlier": STATISTICS,
    "anomaly_isolation_forest": STATISTICS,
    "person_many_accounts": PERSON,
}


@dataclass(frozen=True)
class Finding:
    """One reason code found for some accounts of a batch.

    ``rows`` are positions in the batch. ``texts`` is one text for all of them or one per
    row, and each evidence entry is one JSON-safe value per row.
    """

    code: str
    rows: np.ndarray
    texts: str | Sequence[str]
    evidence: Mapping[str, Sequence] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in REASON_KINDS:
            raise ValueError(
                f"unknown reason code {self.code!r}: add it to REASON_KINDS and the config weights"
            )

    def __len__(self) -> int:
        return len(self.rows)

    def text_at(self, index: int) -> str:
        return self.texts if isinstance(self.texts, str) else self.texts[index]


Texts = str | Sequence[str] | Callable[[np.ndarray], Sequence[str]]


def finding(
    code: str, mask: np.ndarray, texts: Texts, evidence: Mapping[str, Sequence] | None = None
) -> Finding | None:
    """Build a finding for the accounts where ``mask`` is true.

    ``texts`` is one text, a full-length sequence, or a function that returns the texts
    of the selected positions (so texts are formatted only for the accounts concerned).
    Evidence values are full-length. Returns None when the mask selects nothing, so
    checks can collect findings without testing for empty ones first.
    """
    rows = np.flatnonzero(np.asarray(mask, dtype=bool))
    if not len(rows):
        return None
    if callable(texts):
        texts = list(texts(rows))
    elif not isinstance(texts, str):
        texts = np.asarray(texts, dtype=object)[rows]
    picked = {name: _pick(values, rows) for name, values in (evidence or {}).items()}
    return Finding(code, rows, texts, picked)


def _pick(values: Sequence, rows: np.ndarray) -> list:
    return [_json_safe(value) for value in np.asarray(values, dtype=object)[rows]]


def _json_safe(value):
    """Return ``value`` as a JSON value: numpy scalars as Python numbers, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def collect(*groups: Finding | None | Sequence[Finding | None]) -> list[Finding]:
    """Flatten findings and lists of findings, dropping the empty ones (None)."""
    out: list[Finding] = []
    for group in groups:
        items = group if isinstance(group, list | tuple) else [group]
        out.extend(item for item in items if item is not None)
    return out
