"""Standardization of identifiers before they go to the vault."""

from __future__ import annotations

from datetime import date

import pytest

from customer_warehouse.pii import standardize as std


@pytest.mark.parametrize(
    ("written", "country", "e164", "region"),
    [
        ("(415) 555-0134", "US", "+14155550134", "US"),
        ("+86 138 0013 8000", "CN", "+8613800138000", "CN"),
        ("0086-138-0013-8000", "CN", "+8613800138000", "CN"),
        ("13800138000", "CN", "+8613800138000", "CN"),
        ("020 7946 0958", "GB", "+442079460958", "GB"),
        ("+44 (0)20 7946 0958", "GB", "+442079460958", "GB"),
        ("011 55 11 91234 5678", "BR", "+5511912345678", "BR"),
        ("(11) 91234-5678", "BR", "+5511912345678", "BR"),
        ("0049 151 12345678", "DE", "+4915112345678", "DE"),
        ("+86 138 0013 8000", "US", "+8613800138000", "CN"),
    ],
)
def test_phone_to_e164(written, country, e164, region):
    phone = std.standardize_phone(written, country)
    assert phone.is_valid
    assert phone.e164 == e164
    assert phone.region == region


@pytest.mark.parametrize("written", ["0000000", "1234", "+86 138 0013", "999", "not a phone", "", None])
def test_phone_invalid(written):
    phone = std.standardize_phone(written, "CN")
    assert not phone.is_valid
    assert phone.e164 is None


@pytest.mark.parametrize(
    ("written", "parsed"),
    [
        ("1990-04-17", date(1990, 4, 17)),
        ("1990/4/7", date(1990, 4, 7)),
        ("19900417", date(1990, 4, 17)),
        ("17/04/1990", date(1990, 4, 17)),
        ("17.04.1990", date(1990, 4, 17)),
        (" 17-04-1990 ", date(1990, 4, 17)),
        ("04/17/1990", None),
        ("1990-02-30", None),
        ("1990", None),
        ("", None),
        (None, None),
    ],
)
def test_birth_date_layouts(written, parsed):
    assert std.parse_birth_date(written) == parsed


def test_email_normalized_and_checked():
    email = std.normalize_email("  Zhang.Wei@Example.COM ")
    assert email == "zhang.wei@example.com"
    assert std.is_valid_email(email)
    assert std.email_domain(email) == "example.com"
    assert not std.is_valid_email("zhang..wei@example.com")
    assert not std.is_valid_email("zhang@localhost")
    assert std.email_domain("nobody") is None


def test_canonical_email_drops_tags_and_gmail_dots():
    assert std.canonical_email("a.b+shop@googlemail.com") == "ab@gmail.com"
    assert std.canonical_email("a.b+shop@outlook.com") == "a.b@outlook.com"
    assert std.canonical_email("+tag@outlook.com") is None
    assert std.canonical_email("broken@") is None


@pytest.mark.parametrize(
    ("written", "gender"),
    [("F", "female"), ("Male", "male"), ("女", "female"), ("男", "male"), ("U", "unknown")],
)
def test_gender_codes(written, gender):
    assert std.standardize_gender(written) == gender


def test_age_on_day_before_birthday():
    assert std.age_on(date(2000, 6, 2), date(2026, 6, 1)) == 25
    assert std.age_on(date(2000, 6, 2), date(2026, 6, 2)) == 26
    assert std.age_on(date(2030, 1, 1), date(2026, 6, 2)) == -4
    assert std.age_on(None, date(2026, 6, 2)) is None
