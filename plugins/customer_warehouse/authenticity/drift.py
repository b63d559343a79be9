"""Drift of each numeric attribute: the new batch against the stored history, per source.

Two measures, both reported as a quality warning and never as a reason against an
account: the population stability index over the history's quantile bins, and the
two-sample Kolmogorov-Smirnov test (scipy). A large batch makes even a tiny shift
significant, so a KS warning needs both a small p-value and a large enough statistic.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy import stats

from customer_warehouse.authenticity.config import AuthenticityConfig, DriftRules

log = logging.getLogger(__name__)

DRIFT_COLUMNS = (
    "source",
    "attribute",
    "batch_rows",
    "history_rows",
    "psi",
    "ks_statistic",
    "ks_pvalue",
    "status",
    "message",
)
# Share given to an empty bin, so the index stays finite when a bin empties out.
_EMPTY_BIN_SHARE = 1e-4


def population_stability_index(batch: np.ndarray, history: np.ndarray, bins: int) -> float:
    """Return the PSI of ``batch`` against ``history`` over the history's quantile bins.

    Repeated quantiles (a count that is mostly 0) merge into one bin, so a constant
    history gives one bin and a PSI of 0.
    """
    edges = np.unique(np.quantile(history, np.linspace(0, 1, bins + 1)))
    inner = edges[1:-1]
    expected = np.bincount(np.searchsorted(inner, history, side="right"), minlength=len(inner) + 1)
    actual = np.bincount(np.searchsorted(inner, batch, side="right"), minlength=len(inner) + 1)
    expected = np.maximum(expected / len(history), _EMPTY_BIN_SHARE)
    actual = np.maximum(actual / len(batch), _EMPTY_BIN_SHARE)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def _measure(batch: np.ndarray, history: np.ndarray, rules: DriftRules) -> dict:
    row = {"batch_rows": len(batch), "history_rows": len(history), "psi": None}
    row.update({"ks_statistic": None, "ks_pvalue": None})
    if min(len(batch), len(history)) < rules.min_rows:
        row["status"] = "skipped"
        row["message"] = (
            f"not measured: the batch has {len(batch):,} values and the history {len(history):,}; "
            f"both need {rules.min_rows} or more"
        )
        return row
    psi = population_stability_index(batch, history, rules.bins)
    ks = stats.ks_2samp(batch, history)
    row.update({"psi": psi, "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue)})
    psi_text = f"PSI {psi:.3f} (warning above {rules.psi_warning})"
    ks_text = (
        f"KS statistic {ks.statistic:.3f} with p-value {ks.pvalue:.2g} "
        f"(warning above {rules.ks_statistic} with a p-value below {rules.ks_pvalue})"
    )
    psi_shifted = psi > rules.psi_warning
    ks_shifted = ks.pvalue < rules.ks_pvalue and ks.statistic > rules.ks_statistic
    if psi_shifted or ks_shifted:
        # The measures that crossed their threshold come first; the other follows as context.
        crossed = [text for text, hit in ((psi_text, psi_shifted), (ks_text, ks_shifted)) if hit]
        within = [text for text, hit in ((psi_text, psi_shifted), (ks_text, ks_shifted)) if not hit]
        row["status"] = "warning"
        row["message"] = "distribution shifted: " + "; ".join(crossed)
        if within:
            row["message"] += f"; within its threshold: {within[0]}"
    else:
        row["status"] = "ok"
        row["message"] = f"PSI {psi:.3f}, KS statistic {ks.statistic:.3f}"
    return row


def drift_report(batch: pd.DataFrame, history: pd.DataFrame, config: AuthenticityConfig) -> pd.DataFrame:
    """Compare each source's batch values of every configured attribute with its stored history."""
    rows = []
    for source in sorted(batch["source"].dropna().unique()):
        new = batch[batch["source"] == source]
        old = history[history["source"] == source] if len(history) else history
        for name in config.cohorts.attributes:
            values = new[name].to_numpy(dtype=float)
            before = old[name].to_numpy(dtype=float) if len(old) else np.zeros(0)
            values, before = values[~np.isnan(values)], before[~np.isnan(before)]
            if not len(values):
                continue
            rows.append({"source": source, "attribute": name, **_measure(values, before, config.drift)})
    return pd.DataFrame(rows, columns=list(DRIFT_COLUMNS))
