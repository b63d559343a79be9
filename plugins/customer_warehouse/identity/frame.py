"""The identity frame: one row per customer account, with its identifiers standardized.

Identity resolution and authenticity scoring read accounts in this shape, whatever the
source. In the pipeline the frame is assembled from the PII vault (decrypted
identifiers) and the warehouse (coarse attributes); ``shop_identity_frame`` builds the
same frame straight from a shop database, for benchmarks and tests against the
simulator's recorded truth. The frame lives in memory only: it is never written to the
warehouse, because it holds direct identifiers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

from customer_warehouse import db, platform_schema
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.split import split_customer
from customer_warehouse.pii.standardize import standardize_gender

# Column name -> meaning. Text columns hold None when unknown.
FRAME_COLUMNS: dict[str, str] = {
    "customer_key": "pseudonymous account key (HMAC of source:source_customer_id), as in the marts",
    "source": "source system: shop, olist, crm",
    "source_customer_id": "the account's id in its source",
    "person_ref": "the source's own person id when it has one (Olist customer_unique_id), else None",
    "given_name": "given name as written, whitespace collapsed",
    "family_name": "family name as written, whitespace collapsed",
    "full_name": "full name as written, whitespace collapsed",
    "email": "email trimmed and lower-cased",
    "email_canonical": "mailbox the email delivers to (no +tag, no Gmail dots), None when invalid",
    "email_domain": "domain of a valid email",
    "email_is_valid": "email is syntactically valid (bool)",
    "phone": "phone as written",
    "phone_e164": "phone in E.164 when valid for its region, else None",
    "phone_is_valid": "phone is valid per the phonenumbers library (bool)",
    "birth_date": "parsed birth date (datetime.date) or None",
    "gender": "female, male or unknown",
    "country_code": "ISO 3166-1 alpha-2 country of the account",
    "address_line": "street lines of the default address, joined by ', '",
    "city": "city of the default address",
    "state": "state or province of the default address",
    "postcode": "postcode of the default address, as text",
    "signup_channel": "web, ios, android, wechat_mini_program, referral, marketplace",
    "signup_device_key": "pseudonymous key of the sign-up device id",
    "signup_ip_key": "pseudonymous key of the sign-up IP",
    "created_at": "account creation time (UTC)",
    "updated_at": "last change of the account in its source (UTC)",
    "is_deleted": "the source soft-deleted the account (bool)",
}


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype="object") for name in FRAME_COLUMNS})


def _default_addresses(conn: sa.Connection) -> dict[Any, dict[str, Any]]:
    """Return each customer's default address (else the latest), skipping soft-deleted ones."""
    addresses = platform_schema.addresses
    rows = conn.execute(
        sa.select(addresses)
        .where(addresses.c.deleted_at.is_(None))
        .order_by(addresses.c.customer_id, addresses.c.is_default.desc(), addresses.c.updated_at.desc())
    ).mappings()
    chosen: dict[Any, dict[str, Any]] = {}
    for row in rows:
        chosen.setdefault(row["customer_id"], dict(row))
    return chosen


def _join_lines(*lines: Any) -> str | None:
    parts = [str(line).strip() for line in lines if line and str(line).strip()]
    return ", ".join(parts) or None


def frame_rows(
    customers: Iterable[dict[str, Any]], addresses: dict[Any, dict[str, Any]], keys: Pseudonymizer
):
    """Yield identity frame rows for shop customer rows and their chosen addresses."""
    for row in customers:
        split = split_customer(row, keys)
        address = addresses.get(row["customer_id"], {})
        identity, facts = split.identity, split.facts
        yield {
            "customer_key": split.key,
            "source": "shop",
            "source_customer_id": str(row["customer_id"]),
            "person_ref": None,
            "given_name": identity["given_name"],
            "family_name": identity["family_name"],
            "full_name": identity["full_name"],
            "email": identity["email"],
            "email_canonical": identity["email_canonical"],
            "email_domain": facts["email_domain"],
            "email_is_valid": facts["email_is_valid"],
            "phone": identity["phone"],
            "phone_e164": identity["phone_e164"],
            "phone_is_valid": facts["phone_is_valid"],
            "birth_date": pd.Timestamp(identity["birth_date"]).date() if identity["birth_date"] else None,
            "gender": standardize_gender(row.get("gender")),
            "country_code": row.get("country_code"),
            "address_line": _join_lines(address.get("line1"), address.get("line2")),
            "city": address.get("city"),
            "state": address.get("state"),
            "postcode": address.get("postcode"),
            "signup_channel": row.get("signup_channel"),
            "signup_device_key": facts["signup_device_key"],
            "signup_ip_key": facts["signup_ip_key"],
            "created_at": row.get("created_at"),
            "updated_at": row.get("updated_at"),
            "is_deleted": row.get("deleted_at") is not None,
        }


def shop_identity_frame(shop_url: str, keys: Pseudonymizer) -> pd.DataFrame:
    """Read every customer of a shop database into an identity frame (deleted accounts included)."""
    engine = db.engine(shop_url)
    try:
        with engine.connect() as conn:
            addresses = _default_addresses(conn)
            customers = conn.execute(sa.select(platform_schema.customers)).mappings()
            frame = pd.DataFrame.from_records(
                list(frame_rows(customers, addresses, keys)), columns=list(FRAME_COLUMNS)
            )
    finally:
        engine.dispose()
    return frame


OLIST_SOURCE = "olist"


def olist_identity_frame(olist_dir: Path, keys: Pseudonymizer) -> pd.DataFrame:
    """Build an identity frame from Olist exports: ``olist_customers_dataset.csv`` (required) and orders.

    Olist gives no names or contact details: each row is one customer_id with the
    platform's person id (``customer_unique_id``, the frame's ``person_ref``), a postcode
    prefix, city and state. The first purchase in ``olist_orders_dataset.csv``, when that
    file is there, stands in for the sign-up time.
    """
    path = Path(olist_dir) / "olist_customers_dataset.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: point olist_dir at a folder of Olist CSV exports")
    customers = pd.read_csv(path, dtype=str, keep_default_na=False)
    first_order = _first_orders(Path(olist_dir) / "olist_orders_dataset.csv")
    frame = empty_frame().reindex(range(len(customers)))
    frame["customer_key"] = [keys.customer_key(OLIST_SOURCE, cid) for cid in customers["customer_id"]]
    frame["source"] = OLIST_SOURCE
    frame["source_customer_id"] = customers["customer_id"].to_numpy()
    frame["person_ref"] = customers["customer_unique_id"].replace("", None).to_numpy()
    frame["postcode"] = customers["customer_zip_code_prefix"].replace("", None).to_numpy()
    frame["city"] = customers["customer_city"].replace("", None).to_numpy()
    frame["state"] = customers["customer_state"].replace("", None).to_numpy()
    frame["country_code"] = "BR"
    frame["gender"] = "unknown"
    frame["email_is_valid"] = False
    frame["phone_is_valid"] = False
    frame["is_deleted"] = False
    signed_up = customers["customer_id"].map(first_order)
    frame["created_at"] = frame["updated_at"] = (
        signed_up.astype(object).where(signed_up.notna(), None).to_numpy()
    )
    return frame.astype(object).where(frame.notna(), None)


def _first_orders(path: Path) -> pd.Series:
    if not path.is_file():
        return pd.Series(dtype="datetime64[ns, UTC]")
    orders = pd.read_csv(path, usecols=["customer_id", "order_purchase_timestamp"], dtype=str)
    stamps = pd.to_datetime(orders["order_purchase_timestamp"], errors="coerce", utc=True)
    return stamps.groupby(orders["customer_id"]).min()
