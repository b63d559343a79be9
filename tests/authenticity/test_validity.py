"""Validity reasons: email syntax and disposable domains, phones per country, postcode formats."""

from __future__ import annotations

import dataclasses

import pytest

from customer_warehouse.authenticity.validity import is_disposable_domain
from tests.authenticity.helpers import codes_of, reasons_of, score


def test_disposable_domain_from_package(make_frame, config):
    scored = score(make_frame(rows=[{"email": "a1b2c3@mailinator.com"}, {}]), config)
    assert "email_disposable" in codes_of(scored)[0]
    assert "email_disposable" not in codes_of(scored)[1]
    assert "email domain is disposable (mailinator.com)" in reasons_of(scored)[0]


def test_disposable_reason_hides_address(make_frame, config):
    scored = score(make_frame(rows=[{"email": "holly.secret@yopmail.com"}]), config)
    assert "holly.secret" not in reasons_of(scored)[0]
    assert "holly.secret" not in scored.accounts["evidence"][0]


def test_disposable_subdomain(config):
    assert is_disposable_domain("inbox.mailinator.com", config.email)
    assert not is_disposable_domain("gmail.com", config.email)


def test_local_deny_and_allow_lists(config):
    assert is_disposable_domain("example.com", config.email)
    allowing = dataclasses.replace(config.email, allow_domains=frozenset({"mailinator.com"}))
    assert not is_disposable_domain("mailinator.com", allowing)
    denying = dataclasses.replace(config.email, deny_domains=frozenset({"burner.test"}))
    assert is_disposable_domain("burner.test", denying)


def test_invalid_email(make_frame, config):
    scored = score(make_frame(rows=[{"email": "holly@@outlook"}, {"email": "no-at-sign.com"}]), config)
    assert codes_of(scored)[0] == ["email_invalid"]
    assert codes_of(scored)[1] == ["email_invalid"]


@pytest.mark.parametrize("email", ["test123@gmail.com", "asdf@outlook.com", "Fake_01@qq.com"])
def test_test_address(make_frame, config, email):
    scored = score(make_frame(rows=[{"email": email}]), config)
    assert "email_test_address" in codes_of(scored)[0]


def test_real_address_is_not_test(make_frame, config):
    scored = score(make_frame(rows=[{"email": "testarossa.maria@gmail.com"}]), config)
    assert codes_of(scored)[0] == []


def test_phone_invalid_names_country(make_frame, config):
    rows = [{"phone": "+86 138 0013", "country_code": "CN", "postcode": "100000", "city": None}]
    scored = score(make_frame(rows=rows), config)
    assert codes_of(scored)[0] == ["phone_invalid"]
    assert reasons_of(scored)[0] == "phone invalid for CN"


def test_valid_phones_pass(make_frame, config):
    rows = [
        {"phone": "(415) 555-0134"},
        {"phone": "13800138000", "country_code": "CN", "postcode": "100000"},
        {"phone": "(11) 91234-5678", "country_code": "BR", "postcode": "01310-100"},
    ]
    assert codes_of(score(make_frame(rows=rows), config)) == [[], [], []]


@pytest.mark.parametrize(
    ("country", "postcode", "valid"),
    [
        ("US", "32832", True),
        ("US", "32832-1234", True),
        ("US", "3283", False),
        ("BR", "01310-100", True),
        ("BR", "08775", True),
        ("BR", "8775", False),
        ("CN", "100000", True),
        ("CN", "10000", False),
        ("GB", "SW1A 1AA", True),
        ("GB", "sw1a1aa", True),
        ("GB", "12345", False),
        ("DE", "10115", True),
        ("DE", "1011", False),
    ],
)
def test_postcode_format(make_frame, config, country, postcode, valid):
    scored = score(make_frame(rows=[{"country_code": country, "postcode": postcode, "phone": None}]), config)
    assert ("postcode_invalid" not in codes_of(scored)[0]) == valid


def test_missing_identifiers_by_source(make_frame, config):
    rows = [
        {"email": None, "phone": None, "given_name": None, "family_name": None, "full_name": None},
        {
            "source": "olist",
            "email": None,
            "phone": None,
            "given_name": None,
            "family_name": None,
            "full_name": None,
        },
    ]
    scored = score(make_frame(rows=rows), config)
    assert sorted(codes_of(scored)[0]) == ["email_missing", "name_missing", "phone_missing"]
    assert codes_of(scored)[1] == []
