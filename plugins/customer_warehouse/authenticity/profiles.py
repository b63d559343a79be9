"""Cohort profiles: how each numeric attribute is distributed in every cohort, for reviewers and drift.

For every level, cohort and attribute: the count, median, MAD, quantiles, mean, standard
deviation, skewness and excess kurtosis of the raw values, and the modal band. Skewness
needs 3 values and kurtosis 4; smaller cohorts get None there rather than a division by
zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.cohorts import Levels
from customer_warehouse.authenticity.config import AuthenticityConfig

PROFILE_COLUMNS = (
    "level",
    "cohort",
    "attribute",
    "transform",
    "rows",
    "median",
    "mad",
    "q01",
    "q25",
    "q75",
    "q99",
    "mean",
    "std",
    "skewness",
    "kurtosis",
    "modal_band_low",
    "modal_band_high",
    "modal_band_share",
)


def modal_band(values: np.ndarray, bins: int) -> tuple[float, float, float]:
    """Return the fullest of ``bins`` equal bands between the 1st and 99th percentile: (low, high, share)."""
    low, high = np.quantile(values, [0.01, 0.99])
    if high <= low:
        return float(low), float(high), 1.0
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    top = int(np.argmax(counts))
    return float(edges[top]), float(edges[top + 1]), float(counts[top] / len(values))


def _attribute_profile(values: np.ndarray, codes: np.ndarray, labels: list[str], bins: int) -> pd.DataFrame:
    grouped = pd.Series(values).groupby(codes)
    table = pd.DataFrame(
        {
            "rows": grouped.count(),
            "median": grouped.median(),
            "mean": grouped.mean(),
            "std": grouped.std(),
            "skewness": grouped.skew(),
            "kurtosis": grouped.kurt(),
        }
    )
    quantiles = grouped.quantile([0.01, 0.25, 0.75, 0.99]).unstack()
    table[["q01", "q25", "q75", "q99"]] = quantiles.to_numpy()
    centre = table["median"].reindex(range(len(labels))).to_numpy()
    table["mad"] = pd.Series(np.abs(values - centre[codes])).groupby(codes).median()
    order = np.argsort(codes, kind="stable")
    splits = np.split(values[order], np.flatnonzero(np.diff(codes[order])) + 1)
    bands = [modal_band(part, bins) for part in splits]
    table[["modal_band_low", "modal_band_high", "modal_band_share"]] = np.asarray(bands)
    table["cohort"] = np.asarray(labels, dtype=object)[table.index.to_numpy()]
    return table


def cohort_profiles(population: pd.DataFrame, levels: Levels, config: AuthenticityConfig) -> pd.DataFrame:
    """Profile every configured attribute in every cohort of every level of ``population``."""
    parts = []
    for name, rule in config.cohorts.attributes.items():
        raw = population[name].to_numpy(dtype=float)
        present = ~np.isnan(raw)
        if not present.any():
            continue
        for level, (codes, labels) in enumerate(levels):
            table = _attribute_profile(raw[present], codes[present], labels, config.cohorts.modal_band_bins)
            table["level"], table["attribute"], table["transform"] = level, name, rule.transform
            parts.append(table)
    if not parts:
        return pd.DataFrame(columns=list(PROFILE_COLUMNS))
    profiles = pd.concat(parts, ignore_index=True)[list(PROFILE_COLUMNS)]
    return profiles.astype({"rows": "int64"})
