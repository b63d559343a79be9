"""Deterministic links: accounts sharing a standardized key, unless another field conflicts."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from customer_warehouse.identity.settings import DeterministicRule

log = logging.getLogger(__name__)

EDGE_COLUMNS = ["unique_id_l", "unique_id_r", "rule", "match_probability"]
# Frame columns whose folded form in the matching table is what conflicts are judged on.
_MATCHING_COLUMN = {
    "birth_date": "birth_date",
    "phone_e164": "phone",
    "email_canonical": "email",
    "postcode": "postcode",
}


def empty_edges() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "match_probability" else object) for c in EDGE_COLUMNS}
    )


def _key_values(frame: pd.DataFrame, table: pd.DataFrame, column: str) -> pd.Series:
    source = table[_MATCHING_COLUMN[column]] if column in _MATCHING_COLUMN else frame[column]
    present = source.notna().to_numpy()
    values = [str(v).strip() if ok else None for v, ok in zip(source, present, strict=True)]
    return pd.Series([v or None for v in values], index=frame.index, dtype=object)


def _groups(keys: pd.Series, rule: DeterministicRule) -> pd.DataFrame:
    """Return (row, key) of rows whose key is shared by 2..max_accounts rows."""
    present = keys.dropna()
    sizes = present.map(present.value_counts())
    if rule.max_accounts is not None:
        crowded = sizes > rule.max_accounts
        if crowded.any():
            log.info(
                "rule %s: %s accounts share a %s held by more than %s accounts; it links none of them",
                rule.name,
                int(crowded.sum()),
                rule.key,
                rule.max_accounts,
            )
        sizes = sizes[~crowded]
    shared = sizes[sizes >= 2]
    return pd.DataFrame({"row": shared.index.to_numpy(), "key": present.loc[shared.index].to_numpy()})


def _star_pairs(groups: pd.DataFrame) -> pd.DataFrame:
    """Link every row of a group to the group's first row: connected with n - 1 edges."""
    first = groups.groupby("key")["row"].transform("min")
    pairs = pd.DataFrame({"l": first.to_numpy(), "r": groups["row"].to_numpy()})
    return pairs[pairs["l"] != pairs["r"]]


def _all_pairs(groups: pd.DataFrame) -> pd.DataFrame:
    pairs = groups.merge(groups, on="key", suffixes=("_l", "_r"))
    pairs = pairs[pairs["row_l"] < pairs["row_r"]]
    return pd.DataFrame({"l": pairs["row_l"].to_numpy(), "r": pairs["row_r"].to_numpy()})


def _conflicting(pairs: pd.DataFrame, frame: pd.DataFrame, table: pd.DataFrame, rule: DeterministicRule):
    conflict = np.zeros(len(pairs), dtype=bool)
    for column in rule.unless_conflict:
        values = _key_values(frame, table, column).to_numpy()
        left, right = values[pairs["l"].to_numpy()], values[pairs["r"].to_numpy()]
        known = pd.notna(left) & pd.notna(right)
        conflict |= known & (left != right)
    return conflict


def _corroborated(pairs: pd.DataFrame, frame: pd.DataFrame, table: pd.DataFrame, rule: DeterministicRule):
    agree = np.zeros(len(pairs), dtype=bool)
    for column in rule.corroborated_by:
        values = _key_values(frame, table, column).to_numpy()
        left, right = values[pairs["l"].to_numpy()], values[pairs["r"].to_numpy()]
        agree |= pd.notna(left) & pd.notna(right) & (left == right)
    return agree


def rule_links(
    frame: pd.DataFrame, table: pd.DataFrame, rule: DeterministicRule, scope: np.ndarray | None = None
) -> tuple[pd.DataFrame, int]:
    """Return the rule's links (matching table ids) and how many pairs it left to the model.

    ``frame`` and ``table`` share their row order. ``scope`` (a boolean mask of rows)
    keeps only links with at least one row in scope, as an incremental run needs.
    """
    groups = _groups(_key_values(frame, table, rule.key), rule)
    if groups.empty:
        return empty_edges(), 0
    pairwise = rule.unless_conflict or rule.corroborated_by
    pairs = _all_pairs(groups) if pairwise else _star_pairs(groups)
    if scope is not None:
        pairs = pairs[scope[pairs["l"].to_numpy()] | scope[pairs["r"].to_numpy()]]
    conflict = _conflicting(pairs, frame, table, rule) if rule.unless_conflict else np.zeros(len(pairs), bool)
    if rule.corroborated_by:
        # An uncorroborated pair is left to the model, like a conflicting one.
        conflict |= ~_corroborated(pairs, frame, table, rule)
    kept = pairs[~conflict]
    ids = table["unique_id"].to_numpy()
    left, right = ids[kept["l"].to_numpy()], ids[kept["r"].to_numpy()]
    edges = pd.DataFrame(
        {
            "unique_id_l": np.minimum(left, right),
            "unique_id_r": np.maximum(left, right),
            "rule": rule.name,
            "match_probability": 1.0,
        }
    )
    return edges, int(conflict.sum())


def deterministic_links(
    frame: pd.DataFrame,
    table: pd.DataFrame,
    rules: tuple[DeterministicRule, ...],
    scope: np.ndarray | None = None,
) -> pd.DataFrame:
    """Return the links of every rule in order; a pair linked by an earlier rule keeps that rule."""
    parts = []
    for rule in rules:
        edges, conflicts = rule_links(frame, table, rule, scope)
        log.info(
            "rule %s linked %s pairs; %s pairs conflicted or lacked corroboration and go to the model",
            rule.name,
            len(edges),
            conflicts,
        )
        parts.append(edges)
    if not parts:
        return empty_edges()
    edges = pd.concat(parts, ignore_index=True)
    return edges.drop_duplicates(["unique_id_l", "unique_id_r"], keep="first").reset_index(drop=True)
