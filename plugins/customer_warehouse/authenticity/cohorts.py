"""Cohort statistics: each account's numeric attributes against accounts that share its features.

A cohort is the accounts of one source that share the features of a level in the
configuration (sign-up channel, region, age band). Values are compared by robust
z-score, (value - median) / (1.4826 * MAD), so the outliers cannot hide themselves by
inflating a standard deviation. A cohort with fewer values than ``min_size``, or without
spread (MAD and IQR both 0), cannot judge, so the next, coarser level decides. The last
level is the whole source. A value that finds no cohort with spread is not judged, so a count that is
almost always 1 never makes a 2 an outlier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.config import AttributeRule, AuthenticityConfig, ConfigError
from customer_warehouse.authenticity.reasons import Finding, collect, finding

ATTRIBUTES = (
    "age",
    "income",
    "spend",
    "order_count",
    "order_value_mean",
    "order_value_max",
    "payment_count",
    "kids",
)
UNKNOWN = "unknown"
# MAD * 1.4826 and IQR / 1.349 estimate the standard deviation of normal data.
MAD_TO_SD = 1.4826
IQR_TO_SD = 1 / 1.349


def age_bands(ages: np.ndarray, edges: tuple[int, ...]) -> np.ndarray:
    """Return band labels like dim_customers' (under_18, 18-24, ..., 65_plus), ``unknown`` for NaN."""
    labels = [f"under_{edges[0]}"]
    labels += [f"{low}-{high - 1}" for low, high in zip(edges, edges[1:], strict=False)]
    labels.append(f"{edges[-1]}_plus")
    index = np.searchsorted(np.asarray(edges), np.nan_to_num(ages, nan=-1), side="right")
    bands = np.asarray(labels, dtype=object)[index]
    bands[np.isnan(ages)] = UNKNOWN
    return bands


def check_attributes(config: AuthenticityConfig) -> None:
    unknown = sorted(set(config.cohorts.attributes) - set(ATTRIBUTES))
    if unknown:
        raise ConfigError(f"cohorts.attributes lists {unknown}; the known attributes are {list(ATTRIBUTES)}")


def transformed(values: pd.Series, rule: AttributeRule) -> np.ndarray:
    numbers = values.to_numpy(dtype=float)
    if rule.transform == "log1p":
        return np.log1p(np.clip(numbers, 0, None))
    return numbers


def _restore(value: float, rule: AttributeRule) -> float:
    return float(np.expm1(value)) if rule.transform == "log1p" else float(value)


def level_codes(population: pd.DataFrame, level: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Return each account's cohort number at ``level`` and the cohorts' labels (source=...|region=...)."""
    keys = ["source", *level]
    table = population[keys].astype("object").where(population[keys].notna(), UNKNOWN)
    codes = table.groupby(keys, sort=False).ngroup().to_numpy()
    combos = table.drop_duplicates().itertuples(index=False, name=None)
    labels = ["|".join(f"{k}={v}" for k, v in zip(keys, combo, strict=True)) for combo in combos]
    return codes, labels


def _group_median(values: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    series = pd.Series(values).groupby(codes).median()
    out = np.full(groups, np.nan)
    out[series.index.to_numpy()] = series.to_numpy()
    return out


def _group_spread(values: np.ndarray, codes: np.ndarray, groups: int, centre: np.ndarray) -> np.ndarray:
    """Return each group's spread: 1.4826 * MAD, else IQR / 1.349, else 0.

    A group whose middle half is one value (a count that is almost always 1) has no
    spread. It cannot judge its values, so the next, coarser level is asked instead.
    """
    deviation = np.abs(values - centre[codes])
    spread = MAD_TO_SD * _group_median(deviation, codes, groups)
    flat = np.flatnonzero(~(spread > 0))
    rows = np.isin(codes, flat)
    if rows.any():
        grouped = pd.Series(values[rows]).groupby(codes[rows])
        iqr = (grouped.quantile(0.75) - grouped.quantile(0.25)) * IQR_TO_SD
        spread[iqr.index.to_numpy()] = iqr.to_numpy()
    return np.nan_to_num(spread, nan=0.0)


class CohortScale:
    """Per account: the median and spread of its cohort at the first level that can judge it."""

    def __init__(self, rows: int) -> None:
        self.median = np.full(rows, np.nan)
        self.spread = np.full(rows, np.nan)
        self.label = np.full(rows, None, dtype=object)

    def fill(self, open_rows: np.ndarray, median, spread, labels) -> None:
        self.median[open_rows] = median
        self.spread[open_rows] = spread
        self.label[open_rows] = labels


Levels = list[tuple[np.ndarray, list[str]]]


def population_levels(population: pd.DataFrame, config: AuthenticityConfig) -> Levels:
    """Return the cohort numbers and labels of every level, finest first."""
    return [level_codes(population, level) for level in config.cohorts.levels]


def cohort_scale(values: np.ndarray, levels: Levels, min_size: int) -> CohortScale:
    """Find each account's cohort, level by level, among those with enough values and some spread."""
    scale = CohortScale(len(values))
    present = ~np.isnan(values)
    for codes, labels in levels:
        groups = len(labels)
        counts = np.bincount(codes[present], minlength=groups)
        centre = _group_median(values[present], codes[present], groups)
        spread = _group_spread(values[present], codes[present], groups, centre)
        usable = (counts >= min_size) & (spread > 0)
        open_rows = np.flatnonzero(present & np.isnan(scale.median) & usable[codes])
        group = codes[open_rows]
        scale.fill(open_rows, centre[group], spread[group], np.asarray(labels, dtype=object)[group])
    return scale


def outlier_findings(
    population: pd.DataFrame, levels: Levels, batch_rows: np.ndarray, config: AuthenticityConfig
) -> list[Finding]:
    """Flag batch values beyond the robust z limit of their cohort, one finding per attribute."""
    findings = []
    limit = config.cohorts.robust_z_limit
    for name, rule in config.cohorts.attributes.items():
        values = transformed(population[name], rule)
        if np.isnan(values[batch_rows]).all():
            continue
        scale = cohort_scale(values, levels, config.cohorts.min_size)
        z = ((values - scale.median) / scale.spread)[batch_rows]
        high = np.nan_to_num(z, nan=0) > limit
        low = np.nan_to_num(z, nan=0) < -limit
        mask = {"both": high | low, "upper": high, "lower": low}[rule.tail]
        raw = population[name].to_numpy(dtype=float)[batch_rows]
        findings.append(_outlier_finding(name, rule, mask, z, raw, scale, batch_rows))
    return collect(findings)


def _outlier_finding(
    name: str,
    rule: AttributeRule,
    mask: np.ndarray,
    z: np.ndarray,
    raw: np.ndarray,
    scale: CohortScale,
    batch_rows: np.ndarray,
) -> Finding | None:
    medians = scale.median[batch_rows]
    labels = scale.label[batch_rows]

    def texts(rows: np.ndarray) -> list[str]:
        return [
            f"{name} {raw[i]:g} is far {'above' if z[i] > 0 else 'below'} its cohort "
            f"({labels[i]}: median {_restore(medians[i], rule):g}, robust z {z[i]:.1f})"
            for i in rows
        ]

    evidence = {
        "attribute": np.full(len(z), name, dtype=object),
        "robust_z": np.round(z, 2),
        "cohort": labels,
    }
    return finding("cohort_outlier", mask, texts, evidence)
