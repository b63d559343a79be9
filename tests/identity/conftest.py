"""Fixtures of the identity tests: frames built by hand, and one small simulated platform."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from customer_warehouse import simulator
from customer_warehouse.identity.frame import FRAME_COLUMNS, shop_identity_frame
from customer_warehouse.identity.settings import IdentitySettings
from customer_warehouse.pii import standardize as std
from customer_warehouse.pii.keys import Pseudonymizer

PLATFORM_CUSTOMERS = 4000
PLATFORM_SEED = 11


@pytest.fixture(scope="session")
def keys() -> Pseudonymizer:
    return Pseudonymizer(secrets.token_hex(32))


@pytest.fixture(scope="session")
def identity_settings() -> IdentitySettings:
    return IdentitySettings.load()


def account(keys: Pseudonymizer, source_id: str, **fields) -> dict:
    """Return one identity frame row, standardized the way ``shop_identity_frame`` does it."""
    row = {column: None for column in FRAME_COLUMNS}
    country = fields.get("country_code", "DE")
    email = std.normalize_email(fields.pop("email", None))
    phone = std.standardize_phone(fields.pop("phone", None), country)
    created = fields.pop("created_at", datetime(2025, 3, 1, tzinfo=UTC))
    row.update(
        customer_key=keys.customer_key(fields.get("source", "shop"), source_id),
        source="shop",
        source_customer_id=source_id,
        email=email,
        email_canonical=std.canonical_email(email),
        email_domain=std.email_domain(email),
        email_is_valid=std.is_valid_email(email),
        phone_e164=phone.e164,
        phone_is_valid=phone.is_valid,
        gender="unknown",
        country_code=country,
        created_at=created,
        updated_at=created + timedelta(days=1),
        is_deleted=False,
    )
    row.update(fields)
    return row


@pytest.fixture()
def frame_of(keys) -> Callable[..., pd.DataFrame]:
    """Build an identity frame from ``(source_id, fields)`` pairs."""

    def build(*accounts: tuple[str, dict]) -> pd.DataFrame:
        return pd.DataFrame([account(keys, source_id, **fields) for source_id, fields in accounts])

    return build


@dataclass
class Platform:
    frame: pd.DataFrame
    truth: pd.Series  # person_id by customer_key
    truth_dir: Path


@pytest.fixture(scope="session")
def platform(pg_database, tmp_path_factory, keys) -> Platform:
    """A simulated platform of 4,000 accounts (seed 11) read into an identity frame, with its truth."""
    home = tmp_path_factory.mktemp("identity_platform")
    url = pg_database("identity_shop")
    simulator.simulate(
        url, PLATFORM_CUSTOMERS, PLATFORM_SEED, home / "events", home / "truth", progress=False
    )
    frame = shop_identity_frame(url, keys)
    truth = pd.read_csv(
        home / "truth" / "customers_truth.csv", usecols=["customer_id", "person_id"], dtype=str
    )
    person = frame["source_customer_id"].map(truth.set_index("customer_id")["person_id"])
    return Platform(
        frame=frame, truth=pd.Series(person.to_numpy(), index=frame["customer_key"]), truth_dir=home
    )


@pytest.fixture(scope="session")
def trained_settings(identity_settings) -> IdentitySettings:
    """Settings that train the model even on the small platform."""
    probabilistic = replace(identity_settings.probabilistic, min_accounts_to_train=1000)
    return replace(identity_settings, probabilistic=probabilistic)
