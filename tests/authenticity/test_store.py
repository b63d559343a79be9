"""score_accounts against a real warehouse: one transaction, incremental runs, reviews, no identifiers."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from customer_warehouse.authenticity import changed_accounts, record_decision, score_accounts
from tests.ingest.helpers import query, scalar


def _mixed_frame(make_frame) -> pd.DataFrame:
    rows = [{}] * 40 + [{"email": "k1@mailinator.com", "full_name": "asdf qwer"}, {"birth_date": None}]
    return make_frame(rows=rows)


def test_scores_stored_in_every_table(make_frame, config, warehouse_url):
    frame = _mixed_frame(make_frame)
    summary = score_accounts(frame, None, warehouse_url, "run-1", config=config, references=[])
    assert summary.accounts_scored == 42
    assert summary.accounts_excluded == 1
    assert scalar(warehouse_url, "select count(*) from authenticity.account_scores") == 42
    assert scalar(warehouse_url, "select count(*) from authenticity.account_features") == 42
    assert scalar(warehouse_url, "select count(*) from authenticity.person_scores") == 42
    profiled = query(warehouse_url, "select distinct attribute, level from authenticity.cohort_profiles")
    assert sorted(profiled) == [("age", level) for level in range(len(config.cohorts.levels))]
    assert scalar(warehouse_url, "select accounts_scored from authenticity.runs where run_id = 'run-1'") == 42
    excluded = query(
        warehouse_url,
        "select reason_codes, band, evidence -> 'email_disposable' -> 0 ->> 'email_domain'"
        " from authenticity.account_scores where is_excluded",
    )
    assert excluded == [(["email_disposable", "name_keyboard_noise"], "excluded", "mailinator.com")]
    assert scalar(warehouse_url, "select count(*) from authenticity.review_queue") == 1


def test_rerun_of_same_run_replaces_its_rows(make_frame, config, warehouse_url):
    frame = _mixed_frame(make_frame)
    facts = pd.DataFrame({"customer_key": frame["customer_key"], "spend": np.linspace(10, 400, 42)})
    score_accounts(frame, facts, warehouse_url, "run-1", config=config, references=[])
    profiles = scalar(warehouse_url, "select count(*) from authenticity.cohort_profiles")
    drift = scalar(warehouse_url, "select count(*) from authenticity.drift_results")
    score_accounts(frame, facts, warehouse_url, "run-1", config=config, references=[])
    assert profiles > 0
    assert scalar(warehouse_url, "select count(*) from authenticity.cohort_profiles") == profiles
    assert scalar(warehouse_url, "select count(*) from authenticity.drift_results") == drift
    assert scalar(warehouse_url, "select count(*) from authenticity.account_scores") == 42


def test_failed_run_writes_nothing(make_frame, config, warehouse_url, monkeypatch):
    from customer_warehouse.authenticity import run

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(run, "write_run_tables", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        score_accounts(_mixed_frame(make_frame), None, warehouse_url, "run-1", config=config, references=[])
    assert scalar(warehouse_url, "select count(*) from authenticity.account_scores") == 0
    assert scalar(warehouse_url, "select count(*) from authenticity.runs") == 0


def test_changed_accounts_are_new_or_updated(make_frame, config, warehouse_url):
    frame = make_frame(10)
    score_accounts(frame.iloc[:6], None, warehouse_url, "run-1", config=config, references=[])
    frame.loc[2, "updated_at"] = frame.loc[2, "updated_at"] + pd.Timedelta(days=1)
    changed = changed_accounts(frame, warehouse_url)
    assert changed["customer_key"].tolist() == frame["customer_key"].iloc[[2, 6, 7, 8, 9]].tolist()


def test_incremental_batch_judged_against_history(make_frame, config, warehouse_url):
    history = make_frame(200)
    income = np.random.default_rng(12).normal(52_000, 12_000, 200).round()
    score_accounts(
        history,
        pd.DataFrame({"customer_key": history["customer_key"], "income": income}),
        warehouse_url,
        "run-1",
        config=config,
        references=[],
    )
    batch = make_frame(1, start=1000)
    facts = pd.DataFrame({"customer_key": batch["customer_key"], "income": [900_000.0]})
    summary = score_accounts(batch, facts, warehouse_url, "run-2", config=config, references=[])
    assert summary.reason_counts == {"cohort_outlier": 1}
    assert scalar(warehouse_url, "select count(*) from authenticity.account_scores") == 201
    drift = query(
        warehouse_url,
        "select status, batch_rows, history_rows from authenticity.drift_results"
        " where run_id = 'run-2' and attribute = 'income'",
    )
    assert drift == [("skipped", 1, 200)]


def test_incremental_burst_spans_runs(make_frame, config, warehouse_url, keys):
    device, ip = keys.key("device", "burst"), keys.key("ip", "burst")
    first = make_frame(3, signup_device_key=device, signup_ip_key=ip)
    first["created_at"] = first["created_at"].iloc[0]
    score_accounts(first, None, warehouse_url, "run-1", config=config, references=[])
    second = make_frame(3, start=100, signup_device_key=device, signup_ip_key=ip)
    second["created_at"] = first["created_at"].iloc[0] + pd.Timedelta(minutes=5)
    summary = score_accounts(second, None, warehouse_url, "run-2", config=config, references=[])
    assert summary.reason_counts == {"signup_burst_device": 3, "signup_burst_ip": 3}


def test_review_decisions_are_honoured(make_frame, config, warehouse_url):
    frame = _mixed_frame(make_frame)
    fake, clean = frame["customer_key"].iloc[40], frame["customer_key"].iloc[0]
    record_decision(warehouse_url, fake, "include", "reviewer-7", "customer phoned support; account is real")
    record_decision(warehouse_url, clean, "exclude", "reviewer-7", "chargeback fraud")
    score_accounts(frame, None, warehouse_url, "run-1", config=config, references=[])
    rows = dict(
        query(
            warehouse_url,
            "select customer_key, (band, is_excluded, review_decision)::text from authenticity.account_scores"
            " where customer_key in (:a, :b)",
            a=fake,
            b=clean,
        )
    )
    assert rows[fake] == "(excluded,f,include)"
    assert rows[clean] == "(trusted,t,exclude)"
    assert scalar(warehouse_url, "select count(*) from authenticity.review_queue") == 0


def test_new_decision_keeps_history(make_frame, warehouse_url):
    key = make_frame(1)["customer_key"][0]
    record_decision(warehouse_url, key, "exclude", "reviewer-1", "first look")
    record_decision(warehouse_url, key, "include", "reviewer-2", "second look")
    assert query(warehouse_url, "select decision, decided_by from authenticity.review_decisions") == [
        ("include", "reviewer-2")
    ]
    assert query(warehouse_url, "select decision, decided_by from authenticity.review_decision_history") == [
        ("exclude", "reviewer-1")
    ]


def test_decision_needs_valid_value(make_frame, warehouse_url):
    key = make_frame(1)["customer_key"][0]
    with pytest.raises(ValueError, match="'delete' is invalid"):
        record_decision(warehouse_url, key, "delete", "reviewer-1", "spam")


def test_person_scores_follow_mapping(make_frame, config, warehouse_url):
    frame = _mixed_frame(make_frame)
    keys = frame["customer_key"]
    person_of = {keys[40]: "person-a", keys[0]: "person-a", keys[1]: "person-b"}
    score_accounts(frame, None, warehouse_url, "run-1", person_of, config=config, references=[])
    rows = dict(
        query(
            warehouse_url,
            "select person_key, (accounts, excluded_accounts, is_excluded, score)::text"
            " from authenticity.person_scores where person_key like 'person-%'",
        )
    )
    assert rows == {"person-a": "(2,1,f,100.0)", "person-b": "(1,0,f,100.0)"}
    # A later run moves account 0 to its own person: person-a keeps only the fake account.
    score_accounts(frame.iloc[[0]], None, warehouse_url, "run-2", config=config, references=[])
    rows = dict(query(warehouse_url, "select person_key, is_excluded from authenticity.person_scores"))
    assert rows["person-a"] is True
    assert rows[keys[0]] is False


def test_no_identifier_reaches_warehouse_or_log(make_frame, config, warehouse_url, caplog):
    rows = [{}] * 30 + [
        {"email": "holly.private@mailinator.com", "full_name": "asdf qwer", "phone": "+1 999 1234"},
        {"email": "zed.secret@gmail.com", "full_name": "Zed Secretname", "birth_date": None},
    ]
    frame = make_frame(rows=rows)
    with caplog.at_level(logging.DEBUG):
        score_accounts(frame, None, warehouse_url, "run-1", config=config, references=[])
    identifiers = {
        "holly.private",
        "zed.secret",
        "Secretname",
        "Elliott",
        "999 1234",
        "+14074893105",
        "1981-09-05",
    }
    identifiers |= {str(value) for value in frame["address_line"].dropna()}
    dump = "\n".join(
        str(row)
        for table in (
            "account_scores",
            "person_scores",
            "account_features",
            "cohort_profiles",
            "drift_results",
            "runs",
        )
        for row in query(warehouse_url, f"select * from authenticity.{table}")
    )
    for identifier in identifiers:
        assert identifier not in dump, identifier
        assert identifier not in caplog.text, identifier


def test_drift_of_new_batch_is_warned(make_frame, config, warehouse_url, caplog):
    rng = np.random.default_rng(13)
    history = make_frame(300)
    facts = pd.DataFrame({"customer_key": history["customer_key"], "spend": rng.lognormal(4, 0.5, 300)})
    score_accounts(history, facts, warehouse_url, "run-1", config=config, references=[])
    batch = make_frame(100, start=1000)
    facts = pd.DataFrame({"customer_key": batch["customer_key"], "spend": rng.lognormal(6, 0.5, 100)})
    with caplog.at_level(logging.WARNING):
        summary = score_accounts(batch, facts, warehouse_url, "run-2", config=config, references=[])
    assert summary.drift_warnings == 1
    assert "spend of source shop drifted" in caplog.text
    status = scalar(
        warehouse_url,
        "select status from authenticity.drift_results where run_id = 'run-2' and attribute = 'spend'",
    )
    assert status == "warning"


def test_decision_needs_reviewer_and_reason(make_frame, warehouse_url):
    key = make_frame(1)["customer_key"][0]
    with pytest.raises(ValueError, match="has no reason; give who decided and why"):
        record_decision(warehouse_url, key, "exclude", "reviewer-1", " ")
    assert scalar(warehouse_url, "select count(*) from authenticity.review_decisions") == 0
