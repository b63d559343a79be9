"""Drift of a new batch against the history: population stability index and two-sample KS test."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.drift import drift_report, population_stability_index


def _features(source: str, spend: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"source": source, "spend": spend})
    for name in (
        "age",
        "income",
        "order_count",
        "order_value_mean",
        "order_value_max",
        "payment_count",
        "kids",
    ):
        frame[name] = np.nan
    return frame


def test_psi_of_same_distribution_is_small():
    rng = np.random.default_rng(1)
    assert population_stability_index(rng.normal(0, 1, 5000), rng.normal(0, 1, 5000), 10) < 0.02


def test_psi_of_shifted_distribution_is_large():
    rng = np.random.default_rng(2)
    assert population_stability_index(rng.normal(1.5, 1, 5000), rng.normal(0, 1, 5000), 10) > 0.25


def test_psi_of_constant_history_stays_finite():
    psi = population_stability_index(np.array([0, 0, 1, 2.0]), np.zeros(100), 10)
    assert np.isfinite(psi)


def test_drift_report_warns_on_shift(config):
    rng = np.random.default_rng(3)
    history = _features("shop", rng.lognormal(4, 0.5, 2000))
    batch = _features("shop", rng.lognormal(5, 0.5, 500))
    report = drift_report(batch, history, config).set_index("attribute")
    assert report.loc["spend", "status"] == "warning"
    assert report.loc["spend", "psi"] > config.drift.psi_warning
    assert report.loc["spend", "ks_pvalue"] < config.drift.ks_pvalue
    assert report.loc["spend", "batch_rows"] == 500
    assert report.loc["spend", "history_rows"] == 2000


def test_drift_report_quiet_without_shift(config):
    rng = np.random.default_rng(4)
    history = _features("shop", rng.lognormal(4, 0.5, 2000))
    batch = _features("shop", rng.lognormal(4, 0.5, 500))
    report = drift_report(batch, history, config).set_index("attribute")
    assert report.loc["spend", "status"] == "ok"
    assert list(report.index) == ["spend"]


def test_drift_skipped_without_history(config):
    batch = _features("shop", np.arange(100.0))
    report = drift_report(batch, batch.iloc[0:0], config)
    assert report["status"].tolist() == ["skipped"]
    assert "history 0" in report["message"][0]


def test_drift_compares_each_source_with_its_own(config):
    rng = np.random.default_rng(5)
    history = pd.concat(
        [_features("shop", rng.lognormal(4, 0.5, 1000)), _features("olist", rng.lognormal(6, 0.5, 1000))]
    )
    batch = pd.concat(
        [_features("shop", rng.lognormal(4, 0.5, 300)), _features("olist", rng.lognormal(6, 0.5, 300))]
    )
    report = drift_report(batch, history, config)
    assert sorted(report["source"]) == ["olist", "shop"]
    assert set(report["status"]) == {"ok"}


def test_drift_message_names_the_measure_that_warned(config):
    # A PSI threshold no shift reaches leaves the KS test alone to raise the warning.
    ks_only = replace(config, drift=replace(config.drift, psi_warning=1000.0))
    rng = np.random.default_rng(3)
    history = _features("shop", rng.lognormal(4, 0.5, 2000))
    batch = _features("shop", rng.lognormal(5, 0.5, 500))
    message = drift_report(batch, history, ks_only).set_index("attribute").loc["spend", "message"]
    assert message.startswith("distribution shifted: KS statistic")
    assert "within its threshold: PSI" in message
    assert "(warning above 1000.0)" in message
