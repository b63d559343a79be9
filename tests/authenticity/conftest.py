"""Fixtures for the authenticity tests: the configuration, hand-made identity frames, warehouses."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from customer_warehouse.authenticity import AuthenticityConfig, load_config
from customer_warehouse.identity.frame import FRAME_COLUMNS
from customer_warehouse.pii import standardize as std
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.warehouse import bootstrap

SIGNUP = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def config() -> AuthenticityConfig:
    return load_config()


@pytest.fixture(scope="session")
def keys() -> Pseudonymizer:
    return Pseudonymizer(secrets.token_hex(32))


def account(number: int, keys: Pseudonymizer, **values) -> dict:
    """Return an identity frame row of a plausible US account; ``values`` replace any column.

    The email, phone and birth date are standardized as the frame builder does, so a test
    gives them as written and gets the derived columns right.
    """
    row = {name: None for name in FRAME_COLUMNS}
    row.update(
        {
            "customer_key": keys.customer_key("shop", number),
            "source": "shop",
            "source_customer_id": str(number),
            "given_name": "Holly",
            "family_name": "Elliott",
            "full_name": "Holly Elliott",
            "email": f"holly.elliott{number}@outlook.com",
            "phone": "+1 407 489 3105",
            "birth_date": date(1981, 9, 5),
            "gender": "female",
            "country_code": "US",
            "address_line": "12 Main Street",
            "city": "Orlando",
            "state": "FL",
            "postcode": "32832",
            "signup_channel": "web",
            "signup_device_key": keys.key("device", f"web-{number}"),
            "signup_ip_key": keys.key("ip", f"10.0.{number // 256}.{number % 256}"),
            "created_at": SIGNUP + timedelta(hours=number),
            "updated_at": SIGNUP + timedelta(hours=number),
            "is_deleted": False,
        }
    )
    row.update(values)
    return standardized(row)


def standardized(row: dict) -> dict:
    """Fill the derived email and phone columns from the email and phone as written."""
    email = std.normalize_email(row["email"])
    phone = std.standardize_phone(row["phone"], row["country_code"])
    row.update(
        {
            "email": email,
            "email_canonical": std.canonical_email(email),
            "email_domain": std.email_domain(email),
            "email_is_valid": std.is_valid_email(email),
            "phone_e164": phone.e164,
            "phone_is_valid": phone.is_valid,
        }
    )
    return row


@pytest.fixture()
def make_frame(keys: Pseudonymizer) -> Callable[..., pd.DataFrame]:
    """Return a builder: ``make_frame(count, **values)`` or ``make_frame(rows=[{...}, ...])``."""

    def build(count: int = 0, rows: list[dict] | None = None, start: int = 1, **values) -> pd.DataFrame:
        if rows is None:
            rows = [values] * count
        records = [account(start + i, keys, **row) for i, row in enumerate(rows)]
        return pd.DataFrame.from_records(records, columns=list(FRAME_COLUMNS))

    return build


@pytest.fixture()
def warehouse_url(pg_database: Callable[[str], str]) -> str:
    url = pg_database("auth")
    bootstrap(url).dispose()
    return url
