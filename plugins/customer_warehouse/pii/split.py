"""Split one source record into what the PII vault stores and what the warehouse may hold.

Direct identifiers (names, email, phone, birth date, street address, device id, IP)
go to the vault, encrypted. The warehouse gets the record's pseudonymous keys and
coarse, derived facts: the email's domain and validity, the phone's validity and
region, the birth year and the age at sign-up, keys of the device and IP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from customer_warehouse.pii import standardize as std
from customer_warehouse.pii.keys import Pseudonymizer

SHOP = "shop"

# Columns of the shop's customers table that never leave the vault.
CUSTOMER_IDENTIFIERS = (
    "given_name",
    "family_name",
    "full_name",
    "email",
    "phone",
    "birth_date",
    "signup_device_id",
    "signup_ip",
)
# Columns of the shop's addresses table that never leave the vault (the street address).
ADDRESS_IDENTIFIERS = ("line1", "line2")

# Values of birth_date_status in raw.shop_customers.
BIRTH_DATE_VALID = "valid"
BIRTH_DATE_MISSING = "missing"
BIRTH_DATE_UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class SplitRecord:
    """One record split in two: ``identity`` for the vault, ``facts`` for the warehouse."""

    key: str
    identity: dict[str, Any]
    facts: dict[str, Any]
    email_index: str | None = None
    phone_index: str | None = None


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


def split_customer(row: Mapping[str, Any], keys: Pseudonymizer, source: str = SHOP) -> SplitRecord:
    """Split a shop ``customers`` row (column name to value) into vault identity and warehouse facts."""
    country = std.clean_text(row.get("country_code"))
    email = std.normalize_email(row.get("email"))
    canonical = std.canonical_email(email)
    phone = std.standardize_phone(row.get("phone"), country)
    birth_written = std.clean_text(row.get("birth_date"))
    birth = std.parse_birth_date(birth_written)
    if birth is not None:
        birth_status = BIRTH_DATE_VALID
    else:
        birth_status = BIRTH_DATE_UNPARSEABLE if birth_written else BIRTH_DATE_MISSING
    signed_up = _day(row.get("created_at"))

    customer_key = keys.customer_key(source, row["customer_id"])
    identity = {
        "given_name": std.clean_text(row.get("given_name")),
        "family_name": std.clean_text(row.get("family_name")),
        "full_name": std.clean_text(row.get("full_name")),
        "email": email,
        "email_canonical": canonical,
        "phone": std.clean_text(row.get("phone")),
        "phone_e164": phone.e164,
        "birth_date": birth.isoformat() if birth else None,
        "birth_date_as_written": birth_written,
        "signup_device_id": std.clean_text(row.get("signup_device_id")),
        "signup_ip": std.clean_text(row.get("signup_ip")),
    }
    facts = {
        "customer_key": customer_key,
        "email_domain": std.email_domain(email),
        "email_is_valid": std.is_valid_email(email),
        "phone_is_present": identity["phone"] is not None,
        "phone_is_valid": phone.is_valid,
        "phone_region": phone.region,
        "birth_year": birth.year if birth else None,
        "birth_date_status": birth_status,
        "age_at_signup": std.age_on(birth, signed_up) if signed_up else None,
        "signup_device_key": keys.key("device", identity["signup_device_id"]),
        "signup_ip_key": keys.key("ip", identity["signup_ip"]),
    }
    return SplitRecord(
        key=customer_key,
        identity=identity,
        facts=facts,
        email_index=keys.key("email", canonical),
        phone_index=keys.key("phone", phone.e164),
    )


def split_address(row: Mapping[str, Any], keys: Pseudonymizer, source: str = SHOP) -> SplitRecord:
    """Split a shop ``addresses`` row: the street lines go to the vault, the rest stays."""
    address_key = keys.key(f"{source}_address", row["address_id"])
    identity = {name: std.clean_text(row.get(name)) for name in ADDRESS_IDENTIFIERS}
    facts = {
        "address_key": address_key,
        "customer_key": keys.customer_key(source, row["customer_id"]),
        "has_street_address": any(identity.values()),
    }
    return SplitRecord(key=address_key, identity=identity, facts=facts)


@dataclass(frozen=True)
class TableSplit:
    """Division of one source table's columns between the warehouse and the vault."""

    identifiers: tuple[str, ...]  # source columns that go to the vault only
    facts: tuple[str, ...]  # derived columns added to the raw table, in this order
    vault_table: str
    split: Callable[[Mapping[str, Any], Pseudonymizer], SplitRecord]
    vault_columns: Callable[[Mapping[str, Any], SplitRecord], dict[str, Any]]

    def raw_columns(self, source_columns: Sequence[str]) -> list[str]:
        """Return the raw table's data columns: the source's non-identifying ones, then the facts."""
        return [name for name in source_columns if name not in self.identifiers] + list(self.facts)


def _customer_vault_columns(row: Mapping[str, Any], split: SplitRecord) -> dict[str, Any]:
    return {
        "source": SHOP,
        "source_customer_id": str(row["customer_id"]),
        "source_updated_at": row["updated_at"],
        "email_index": split.email_index,
        "phone_index": split.phone_index,
    }


def _address_vault_columns(row: Mapping[str, Any], split: SplitRecord) -> dict[str, Any]:
    return {"customer_key": split.facts["customer_key"], "source_updated_at": row["updated_at"]}


CUSTOMER_FACTS = (
    "customer_key",
    "email_domain",
    "email_is_valid",
    "phone_is_present",
    "phone_is_valid",
    "phone_region",
    "birth_year",
    "birth_date_status",
    "age_at_signup",
    "signup_device_key",
    "signup_ip_key",
)

# Shop tables whose rows carry direct identifiers, by table name.
SHOP_SPLITS: dict[str, TableSplit] = {
    "customers": TableSplit(
        identifiers=CUSTOMER_IDENTIFIERS,
        facts=CUSTOMER_FACTS,
        vault_table="pii.customer_identities",
        split=split_customer,
        vault_columns=_customer_vault_columns,
    ),
    "addresses": TableSplit(
        identifiers=ADDRESS_IDENTIFIERS,
        facts=("address_key", "customer_key", "has_street_address"),
        vault_table="pii.address_identities",
        split=split_address,
        vault_columns=_address_vault_columns,
    ),
}
