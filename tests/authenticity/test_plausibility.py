"""Plausibility of birth dates, declared categories and declared amounts."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from customer_warehouse.authenticity.plausibility import repeated_digit_placeholders
from tests.authenticity.conftest import SIGNUP
from tests.authenticity.helpers import codes_of, reasons_of, score


@pytest.mark.parametrize(
    ("birth", "code"),
    [
        (date(1893, 5, 2), "birth_date_too_old"),
        (date(1900, 1, 1), "birth_date_too_old"),
        (date(2027, 6, 1), "birth_date_in_future"),
        (date(2022, 1, 15), "birth_date_too_young"),
        (date(1970, 1, 1), "birth_date_placeholder"),
    ],
)
def test_implausible_birth_date(make_frame, config, birth, code):
    scored = score(make_frame(rows=[{"birth_date": birth}]), config)
    assert codes_of(scored)[0] == [code]


def test_birth_reason_gives_year_not_date(make_frame, config):
    scored = score(make_frame(rows=[{"birth_date": date(1893, 5, 2)}]), config)
    assert reasons_of(scored)[0] == "birth year 1893 is implausible: age 131 at sign-up is over 110"
    assert "1893-05-02" not in scored.accounts["evidence"][0]


def test_toddler_reason_gives_age(make_frame, config):
    scored = score(make_frame(rows=[{"birth_date": date(2022, 1, 15)}]), config)
    assert reasons_of(scored)[0] == "age 3 at sign-up is under 13"


@pytest.mark.parametrize(
    "birth", [date(1981, 9, 5), date(SIGNUP.year - 13, 1, 1), date(SIGNUP.year - 110, 12, 31)]
)
def test_plausible_birth_dates_pass(make_frame, config, birth):
    assert codes_of(score(make_frame(rows=[{"birth_date": birth}]), config)) == [[]]


def test_birth_year_alone(make_frame, config):
    frame = make_frame(rows=[{"birth_date": None}, {"birth_date": None}])
    facts = pd.DataFrame({"customer_key": frame["customer_key"], "birth_year": [1899, 1975]})
    scored = score(frame, config, facts)
    assert codes_of(scored) == [["birth_date_too_old"], []]


def test_unknown_marital_status_and_education(make_frame, config):
    frame = make_frame(3)
    facts = pd.DataFrame(
        {
            "customer_key": frame["customer_key"],
            "marital_status": ["YOLO", "Married", None],
            "education": ["PhD", "2n Cycle", "Kindergarten"],
        }
    )
    scored = score(frame, config, facts)
    assert codes_of(scored) == [["marital_status_unknown"], [], ["education_unknown"]]
    assert reasons_of(scored)[0] == "marital status 'YOLO' is not one of the known values"


@pytest.mark.parametrize(
    ("value", "placeholder"),
    [
        (666666, True),
        (9999, True),
        (99999.0, True),
        (999, False),
        (66666.5, False),
        (51381, False),
        (None, False),
    ],
)
def test_repeated_digit_placeholder(config, value, placeholder):
    mask = repeated_digit_placeholders(pd.Series([value], dtype="float64"), config.placeholder_min_digits)
    assert bool(mask[0]) == placeholder


def test_placeholder_income_reason(make_frame, config):
    frame = make_frame(2)
    facts = pd.DataFrame({"customer_key": frame["customer_key"], "income": [666666, 58138]})
    scored = score(frame, config, facts)
    assert codes_of(scored) == [["income_placeholder"], []]
    assert reasons_of(scored)[0] == "income 666666 is a placeholder (one digit repeated)"
