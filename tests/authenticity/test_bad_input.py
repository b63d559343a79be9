"""Bad input is scored with reasons, never crashes, and malformed frames fail with a clear error."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from customer_warehouse.authenticity import InputError, score_batch
from customer_warehouse.identity.frame import FRAME_COLUMNS
from tests.authenticity.helpers import codes_of, score

NO_NAME = {"given_name": None, "family_name": None, "full_name": None}


def _assert_scored(scored, rows: int) -> None:
    accounts = scored.accounts
    assert len(accounts) == rows
    assert accounts["score"].between(0, 100).all()
    assert accounts["score"].map(math.isfinite).all()
    assert accounts["band"].isin(["trusted", "suspect", "excluded"]).all()


def test_empty_names(make_frame, config):
    scored = score(make_frame(rows=[{"given_name": "", "family_name": " ", "full_name": "  "}]), config)
    _assert_scored(scored, 1)
    assert codes_of(scored)[0] == ["name_missing"]


def test_one_character_names(make_frame, config):
    rows = [
        {"full_name": "A", "given_name": "A", "family_name": None},
        {"full_name": "李", "given_name": None},
    ]
    scored = score(make_frame(rows=rows), config)
    _assert_scored(scored, 2)
    assert codes_of(scored) == [["name_too_short"], ["name_too_short"]]


def test_emoji_names(make_frame, config):
    rows = [{"full_name": "😀😀", "given_name": "😀", "family_name": "😀"}, {"full_name": "Holly 🌸 Elliott"}]
    scored = score(make_frame(rows=rows), config)
    _assert_scored(scored, 2)
    assert codes_of(scored) == [["name_has_symbols"], ["name_has_symbols"]]


def test_mixed_script_names(make_frame, config):
    rows = [{"full_name": "Hоlly Elliott"}, {"full_name": "王 Elliott"}]
    scored = score(make_frame(rows=rows), config)
    _assert_scored(scored, 2)
    assert codes_of(scored)[0] == ["name_mixed_scripts"]
    assert codes_of(scored)[1] == []


def test_all_null_rows(make_frame, config):
    empty = {name: None for name in FRAME_COLUMNS if name not in ("customer_key", "source")}
    frame = make_frame(rows=[empty, {**empty, "source": "crm"}, {}]).astype("object")
    frame.loc[:1, [c for c in FRAME_COLUMNS if c not in ("customer_key", "source")]] = None
    scored = score(frame, config)
    _assert_scored(scored, 3)
    assert sorted(codes_of(scored)[0]) == ["email_missing", "name_missing", "phone_missing"]
    assert codes_of(scored)[1] == []
    assert scored.features["age_band"].tolist()[:2] == ["unknown", "unknown"]


def test_batch_of_one_person(make_frame, config):
    frame = make_frame(12)
    person = dict.fromkeys(frame["customer_key"], "person-1")
    scored = score(frame, config, person_of=person)
    _assert_scored(scored, 12)
    persons = scored.persons
    assert len(persons) == 1
    assert persons["accounts"][0] == 12
    assert persons["reason_codes"][0] == ["person_many_accounts"]
    assert persons["score"][0] == 100 - config.weights["person_many_accounts"]
    assert "12 accounts, more than 5 for one person" in persons["reasons"][0]


def test_identical_records(make_frame, config, keys):
    same = {"signup_device_key": keys.key("device", "d"), "signup_ip_key": keys.key("ip", "i")}
    frame = make_frame(40, **same)
    frame["created_at"] = frame["created_at"].iloc[0]
    scored = score(frame, config)
    _assert_scored(scored, 40)
    assert all(sorted(codes) == ["signup_burst_device", "signup_burst_ip"] for codes in codes_of(scored))


def test_batch_of_fakes_only(make_frame, config):
    rng = np.random.default_rng(11)
    domains = ["mailinator.com", "yopmail.com", "10minutemail.com", "guerrillamail.com"]
    names = ["asdf qwer", "Test User", "xxx xxx", "测试 用户", "zxcv zxcv"]
    rows = [
        {
            "email": f"{rng.integers(10**7, 10**8)}@{domains[i % 4]}",
            "full_name": names[i % 5],
            "birth_date": None,
        }
        for i in range(300)
    ]
    frame = make_frame(rows=rows)
    facts = pd.DataFrame(
        {"customer_key": frame["customer_key"], "order_count": 0.0, "payment_count": 0.0, "spend": 0.0}
    )
    scored = score(frame, config, facts)
    _assert_scored(scored, 300)
    assert scored.accounts["is_excluded"].all()
    assert all("email_disposable" in codes for codes in codes_of(scored))


def test_cohort_of_one_record(make_frame, config):
    frame = make_frame(rows=[{"email": "x9@mailinator.com"}])
    facts = pd.DataFrame({"customer_key": frame["customer_key"], "income": [90_000.0], "spend": [12.5]})
    scored = score(frame, config, facts)
    _assert_scored(scored, 1)
    assert codes_of(scored)[0] == ["email_disposable"]
    profiles = scored.profiles
    assert (profiles["rows"] == 1).all()
    assert profiles["skewness"].isna().all()
    assert profiles["kurtosis"].isna().all()
    assert (profiles["mad"] == 0).all()


def test_empty_batch(make_frame, config):
    scored = score(make_frame(0), config)
    assert scored.accounts.empty
    assert scored.persons.empty


def test_text_timestamps_and_nan_text(make_frame, config):
    frame = make_frame(2)
    frame["created_at"] = ["2025-03-01T12:00:00Z", "not a time"]
    frame["email"] = [np.nan, "holly@outlook.com"]
    frame["birth_date"] = [pd.Timestamp("1990-04-17"), np.nan]
    _assert_scored(score(frame, config), 2)


def test_missing_key_column_is_rejected(make_frame, config):
    frame = make_frame(1).drop(columns="customer_key")
    with pytest.raises(InputError, match="no column customer_key"):
        score_batch(frame, None, config)


def test_row_without_key_is_rejected(make_frame, config):
    frame = make_frame(3)
    frame.loc[2, "customer_key"] = None
    with pytest.raises(InputError, match="row 2 has no customer_key"):
        score_batch(frame, None, config)


def test_repeated_key_is_rejected(make_frame, config):
    frame = make_frame(3)
    frame.loc[2, "customer_key"] = frame.loc[0, "customer_key"]
    with pytest.raises(InputError, match="repeats customer_key at row 2"):
        score_batch(frame, None, config)


def test_facts_with_unknown_column_are_rejected(make_frame, config):
    frame = make_frame(1)
    facts = pd.DataFrame({"customer_key": frame["customer_key"], "email": ["holly@outlook.com"]})
    with pytest.raises(ValueError, match=r"unknown columns \['email'\]"):
        score_batch(frame, facts, config)


def test_facts_for_other_accounts_are_ignored(make_frame, config):
    frame = make_frame(1)
    facts = pd.DataFrame({"customer_key": ["someone-else"], "income": [666666.0]})
    assert codes_of(score(frame, config, facts)) == [[]]
