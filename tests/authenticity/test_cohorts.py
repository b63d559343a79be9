"""Cohort statistics: robust outliers, coarser levels for small cohorts, profiles and the anomaly signal."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from tests.authenticity.helpers import codes_of, reasons_of, score


def _facts(frame: pd.DataFrame, **columns) -> pd.DataFrame:
    return pd.DataFrame({"customer_key": frame["customer_key"], **columns})


def test_income_outlier_in_cohort(make_frame, config):
    frame = make_frame(200)
    income = np.random.default_rng(5).normal(52_000, 12_000, 200).round()
    income[17] = 480_000
    scored = score(frame, config, _facts(frame, income=income))
    flagged = [i for i, codes in enumerate(codes_of(scored)) if "cohort_outlier" in codes]
    assert flagged == [17]
    assert reasons_of(scored)[17].startswith(
        "income 480000 is far above its cohort (source=shop|signup_channel=web"
    )


def test_outlier_cannot_hide_itself(make_frame, config):
    """A tenth of the cohort at one extreme value inflates a standard deviation, not the MAD."""
    frame = make_frame(200)
    income = np.random.default_rng(6).normal(52_000, 12_000, 200).round()
    income[:20] = 2_000_000
    scored = score(frame, config, _facts(frame, income=income))
    flagged = [i for i, codes in enumerate(codes_of(scored)) if "cohort_outlier" in codes]
    assert flagged == list(range(20))


def test_small_cohort_uses_coarser_level(make_frame, config):
    rows = [{"signup_channel": "web"}] * 100 + [{"signup_channel": "referral"}] * 3
    frame = make_frame(rows=rows)
    spend = np.r_[np.random.default_rng(7).lognormal(4, 0.5, 100), [60, 70, 90_000]]
    scored = score(frame, config, _facts(frame, spend=spend))
    assert "cohort_outlier" in codes_of(scored)[102]
    assert "(source=shop|region=US|age_band=" in reasons_of(scored)[102]
    assert all("cohort_outlier" not in codes for codes in codes_of(scored)[100:102])


def test_constant_cohort_judges_nothing(make_frame, config):
    frame = make_frame(100)
    payments = np.ones(100)
    payments[3] = 2
    scored = score(frame, config, _facts(frame, payment_count=payments))
    assert all("cohort_outlier" not in codes for codes in codes_of(scored))
    assert np.isfinite(scored.accounts["score"]).all()


def test_profiles_measure_shape(make_frame, config):
    frame = make_frame(300)
    spend = np.random.default_rng(8).lognormal(4, 1, 300)
    profiles = score(frame, config, _facts(frame, spend=spend)).profiles
    whole = profiles[(profiles["attribute"] == "spend") & (profiles["cohort"] == "source=shop")].iloc[0]
    assert whole["rows"] == 300
    assert whole["median"] == np.median(spend)
    assert whole["skewness"] > 1
    assert whole["kurtosis"] > 0
    assert whole["modal_band_low"] < whole["median"] < whole["q99"]
    assert 0 < whole["modal_band_share"] <= 1


def test_anomaly_signal_needs_enough_accounts(make_frame, config):
    frame = make_frame(300)
    rng = np.random.default_rng(9)
    facts = _facts(frame, spend=rng.lognormal(4, 0.5, 300), order_count=rng.integers(1, 5, 300).astype(float))
    scored = score(frame, config, facts)
    flagged = sum("anomaly_isolation_forest" in codes for codes in codes_of(scored))
    assert flagged == round(300 * config.anomaly.contamination)
    fewer = dataclasses.replace(config, anomaly=dataclasses.replace(config.anomaly, min_rows=301))
    assert all("anomaly_isolation_forest" not in codes for codes in codes_of(score(frame, fewer, facts)))


def test_anomaly_signal_is_repeatable(make_frame, config):
    frame = make_frame(300)
    rng = np.random.default_rng(10)
    facts = _facts(frame, spend=rng.lognormal(4, 0.5, 300), order_count=rng.integers(1, 5, 300).astype(float))
    first = score(frame, config, facts).accounts["evidence"].tolist()
    second = score(frame, config, facts).accounts["evidence"].tolist()
    assert first == second
