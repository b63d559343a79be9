"""Survivorship rules from config/survivorship.yml applied to hand-made persons."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from customer_warehouse.identity.prepare import check_frame
from customer_warehouse.identity.settings import IdentityConfigError
from customer_warehouse.identity.survivorship import Survivorship, golden_records


@pytest.fixture()
def person(frame_of):
    frame = frame_of(
        (
            "old",
            {
                "full_name": "Anna Schmidt",
                "email": "anna@web.de",
                "phone": "+49 151 11111111",
                "birth_date": date(1980, 1, 2),
                "address_line": "Hauptstr. 1",
                "postcode": "10115",
                "city": "Berlin",
                "gender": "female",
                "created_at": datetime(2024, 1, 1, tzinfo=UTC),
            },
        ),
        (
            "new",
            {
                "full_name": "Anna Schmidt-Meyer",
                "email": "not an email",
                "phone": "+49 151 22222222",
                "birth_date": date(1980, 1, 2),
                "city": "Potsdam",
                "created_at": datetime(2025, 6, 1, tzinfo=UTC),
            },
        ),
        (
            "newest",
            {"phone": "+49 151 22222222", "created_at": datetime(2025, 9, 1, tzinfo=UTC), "source": "crm"},
        ),
    )
    frame = check_frame(frame)
    frame["person_key"] = "p1"
    return frame


def test_golden_identifiers(person):
    identifiers, _ = golden_records(person, Survivorship.load())
    golden = identifiers.loc["p1"]
    assert golden["full_name"] == "Anna Schmidt-Meyer"  # most recent with a name
    assert golden["email"] == "anna@web.de"  # most recent valid email
    assert golden["phone_e164"] == "+4915122222222"  # most frequent
    assert golden["postcode"] == "10115"  # most complete address
    assert golden["city"] == "Berlin"


def test_golden_attributes(person):
    _, attributes = golden_records(person, Survivorship.load())
    golden = attributes.loc["p1"]
    assert golden["birth_year"] == 1980
    assert golden["gender"] == "female"
    assert golden["account_count"] == 3
    assert golden["sources"] == ["crm", "shop"]
    assert golden["first_signup_at"] == datetime(2024, 1, 1, tzinfo=UTC)


def test_deleted_account_yields_to_live_ones(person):
    person.loc[person["source_customer_id"] == "old", "is_deleted"] = True
    identifiers, _ = golden_records(person, Survivorship.load())
    assert identifiers.loc["p1", "city"] == "Potsdam"
    assert identifiers.loc["p1", "postcode"] is None


def test_deleted_account_used_when_alone(person):
    person.loc[person["source_customer_id"] == "old", "is_deleted"] = True
    identifiers, _ = golden_records(person, Survivorship.load())
    assert identifiers.loc["p1", "email"] == "anna@web.de"


def test_unknown_rule_rejected(tmp_path):
    path = tmp_path / "survivorship.yml"
    path.write_text("identifiers:\n  email: {columns: [email], rule: newest}\n")
    with pytest.raises(IdentityConfigError, match="identifiers.email.rule is 'newest'"):
        Survivorship.load(path)
