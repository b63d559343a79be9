"""Consistency: postcode against city and state, sign-up bursts, orders without payments."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from customer_warehouse.authenticity.consistency import brazil_reference, burst_sizes, normalize_place
from tests.authenticity.conftest import SIGNUP
from tests.authenticity.helpers import codes_of, reasons_of, score

GEOLOCATION = pd.DataFrame(
    {
        "geolocation_zip_code_prefix": ["8775", "08775", "1310", "15650", "15650"],
        "geolocation_city": [
            "mogi das cruzes",
            "Mogi das Cruzes",
            "são paulo",
            "estrela d'oeste",
            "estrela doeste",
        ],
        "geolocation_state": ["SP", "SP", "SP", "SP", "SP"],
    }
)


@pytest.mark.parametrize(
    ("postcode", "prefix"),
    [
        ("8775", "08775"),
        ("08775", "08775"),
        ("08775-120", "08775"),
        ("8775120", "08775"),
        ("01310100", "01310"),
        ("", None),
    ],
)
def test_prefix_restores_leading_zeros(postcode, prefix):
    assert brazil_reference(GEOLOCATION).prefix_of(postcode) == prefix


def test_place_names_compare_without_accents():
    assert normalize_place("São Paulo") == normalize_place("sao paulo") == "saopaulo"
    assert normalize_place("estrela d'oeste") == normalize_place("estrela doeste")


def _brazilian(city: str, state: str, postcode: str) -> dict:
    return {"source": "olist", "country_code": "BR", "city": city, "state": state, "postcode": postcode}


def test_city_and_state_against_reference(make_frame, config):
    rows = [
        _brazilian("mogi das cruzes", "SP", "08775"),
        _brazilian("Mogi-das-Cruzes", "SP", "08775-000"),
        _brazilian("barueri", "SP", "08775"),
        _brazilian("mogi das cruzes", "RJ", "08775"),
        _brazilian("campinas", "SP", "13010"),  # prefix unknown to the reference: not judged
    ]
    scored = score(make_frame(rows=rows), config, references=[brazil_reference(GEOLOCATION)])
    assert codes_of(scored) == [[], [], ["postcode_city_mismatch"], ["postcode_state_mismatch"], []]
    assert reasons_of(scored)[2] == "city is not among the reference's cities for postcode prefix 08775"


def test_reference_applies_to_its_country_only(make_frame, config):
    rows = [{"country_code": "US", "city": "barueri", "postcode": "08775"}]
    scored = score(make_frame(rows=rows), config, references=[brazil_reference(GEOLOCATION)])
    assert codes_of(scored) == [[]]


def test_burst_sizes_count_neighbours():
    created = pd.Series(
        pd.to_datetime(
            ["2025-01-01 10:00", "2025-01-01 10:05", "2025-01-01 10:50", "2025-01-01 10:06"], utc=True
        )
    )
    keys = pd.Series(["d1", "d1", "d1", "d2"], dtype="object")
    assert burst_sizes(keys, created, 30 * 60).tolist() == [2, 2, 1, 1]


def test_burst_sizes_skip_missing_keys():
    created = pd.Series(pd.to_datetime(["2025-01-01 10:00", None, "2025-01-01 10:01"], utc=True))
    keys = pd.Series([None, "d1", "d1"], dtype="object")
    assert burst_sizes(keys, created, 60).tolist() == [0, 0, 1]


def test_signup_burst_flags_device_and_ip(make_frame, config, keys):
    device, ip = keys.key("device", "web-burst"), keys.key("ip", "203.0.113.9")
    burst = [
        {"signup_device_key": device, "signup_ip_key": ip, "created_at": SIGNUP + timedelta(minutes=2 * i)}
        for i in range(6)
    ]
    later = {"signup_device_key": device, "signup_ip_key": ip, "created_at": SIGNUP + timedelta(days=3)}
    scored = score(make_frame(rows=[*burst, later, {}]), config)
    codes = codes_of(scored)
    assert all(sorted(c) == ["signup_burst_device", "signup_burst_ip"] for c in codes[:6])
    assert codes[6] == []
    assert codes[7] == []
    assert "6 sign-ups from one device within 30 minutes" in reasons_of(scored)[0]
    assert scored.accounts["is_excluded"][:6].all()


def test_orders_without_payment(make_frame, config):
    frame = make_frame(3)
    facts = pd.DataFrame(
        {
            "customer_key": frame["customer_key"],
            "order_count": [2, 1, 0],
            "orders_without_payment": [1, 0, 0],
            "payment_count": [1, 1, 0],
        }
    )
    scored = score(frame, config, facts)
    assert codes_of(scored) == [["orders_without_payment"], [], []]
    assert reasons_of(scored)[0] == "1 orders have no payment record"


def test_unknown_payments_are_not_missing_payments(make_frame, config):
    frame = make_frame(1)
    facts = pd.DataFrame(
        {"customer_key": frame["customer_key"], "order_count": [5], "orders_without_payment": [np.nan]}
    )
    assert codes_of(score(frame, config, facts)) == [[]]
