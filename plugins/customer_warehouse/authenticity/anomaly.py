"""Unsupervised anomaly signal: an IsolationForest per source over the cohort attributes.

The forest is fitted on the whole population of the source (stored history and this
batch) with a fixed random_state, so the same data gives the same result. Missing values
are filled with the attribute's median; attributes a source never has are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from customer_warehouse.authenticity.cohorts import transformed
from customer_warehouse.authenticity.config import AuthenticityConfig
from customer_warehouse.authenticity.reasons import Finding, collect, finding


def _matrix(population: pd.DataFrame, rows: np.ndarray, config: AuthenticityConfig) -> np.ndarray | None:
    columns = []
    for name, rule in config.cohorts.attributes.items():
        values = transformed(population[name], rule)[rows]
        present = ~np.isnan(values)
        if not present.any():
            continue
        filled = np.where(present, values, np.median(values[present]))
        if np.ptp(filled) > 0:
            columns.append(filled)
    return np.column_stack(columns) if columns else None


def anomaly_findings(
    population: pd.DataFrame, batch_rows: np.ndarray, config: AuthenticityConfig
) -> list[Finding]:
    """Mark the batch accounts the forest of their source isolates as anomalies."""
    rules = config.anomaly
    flagged = np.zeros(len(batch_rows), dtype=bool)
    scores = np.full(len(batch_rows), np.nan)
    in_batch = np.zeros(len(population), dtype=bool)
    in_batch[batch_rows] = True
    position = np.full(len(population), -1)
    position[batch_rows] = np.arange(len(batch_rows))
    for source in population["source"].dropna().unique():
        rows = np.flatnonzero((population["source"] == source).to_numpy())
        if len(rows) < rules.min_rows or not in_batch[rows].any():
            continue
        matrix = _matrix(population, rows, config)
        if matrix is None:
            continue
        forest = IsolationForest(
            n_estimators=rules.n_estimators,
            contamination=rules.contamination,
            random_state=rules.random_state,
        ).fit(matrix)
        scored = in_batch[rows]
        targets = position[rows[scored]]
        # predict() marks as anomalies the scores under offset_; one pass gives both.
        scores[targets] = forest.score_samples(matrix[scored])
        flagged[targets] = scores[targets] < forest.offset_
    text = "unusual combination of attributes among the accounts of its source (isolation forest)"
    return collect(
        finding("anomaly_isolation_forest", flagged, text, {"isolation_score": np.round(scores, 3)})
    )
