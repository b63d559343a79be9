"""Known identifiers planted in a simulated shop, so tests can search for them everywhere.

Each value is distinctive enough that finding it as a substring anywhere (a table, a log
line, a Data Docs page) can only mean it leaked. ``plant`` writes two accounts, their
addresses, clickstream events and one malformed event line into a shop and landing folder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from customer_warehouse import platform_schema

CREATED = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)

PLANTED_CUSTOMERS = (
    {
        "customer_id": 990_001,
        "given_name": "Quillonbray",
        "family_name": "Vexterholm",
        "full_name": "Quillonbray Vexterholm",
        "email": "Quillonbray.Vexterholm@planted-leak.example",
        "phone": "(646) 732-9184",
        "birth_date": "1983-07-29",
        "gender": "M",
        "country_code": "US",
        "signup_channel": "web",
        "signup_device_id": "web-9f8e7d6c5b4a",
        "signup_ip": "198.51.100.213",
        "marketing_opt_in": True,
    },
    {
        "customer_id": 990_002,
        "given_name": "飒飒",
        "family_name": "欧阳",
        "full_name": "欧阳飒飒",
        "email": "ouyang.sasa.planted@leak-check.example",
        "phone": "139 1718 2931",
        "birth_date": "17.11.1991",
        "gender": "女",
        "country_code": "CN",
        "signup_channel": "wechat_mini_program",
        "signup_device_id": "9C1D5E7A-0B2F-4C3D-8E9F-A1B2C3D4E5F6",
        "signup_ip": "2001:db8:77::19",
        "marketing_opt_in": False,
    },
)
PLANTED_ADDRESSES = (
    {"address_id": 990_001, "customer_id": 990_001, "line1": "4417 Quillonbray Terrace", "line2": "Apt 9C"},
    {"address_id": 990_002, "customer_id": 990_002, "line1": "欧阳飒飒路 88 号", "line2": None},
)
ANONYMOUS_ID = "anon-quillonbray-0001"

# Every planted value, as written and as the pipeline standardizes it.
PLANTED_VALUES = (
    "Quillonbray",
    "Vexterholm",
    "quillonbray.vexterholm@planted-leak.example",
    "6467329184",
    "(646) 732-9184",
    "1983-07-29",
    "4417 Quillonbray Terrace",
    "web-9f8e7d6c5b4a",
    "198.51.100.213",
    "欧阳飒飒",
    "ouyang.sasa.planted",
    "13917182931",
    "139 1718 2931",
    "17.11.1991",
    "1991-11-17",
    "欧阳飒飒路",
    "9C1D5E7A-0B2F-4C3D-8E9F-A1B2C3D4E5F6",
    "2001:db8:77::19",
    ANONYMOUS_ID,
)


def plant(shop_url: str, events_dir: Path) -> None:
    """Add the planted accounts to a simulated shop and their events to the landing folder."""
    engine = sa.create_engine(shop_url)
    audit = {"created_at": CREATED, "updated_at": CREATED, "deleted_at": None}
    with engine.begin() as conn:
        conn.execute(platform_schema.customers.insert(), [{**row, **audit} for row in PLANTED_CUSTOMERS])
        conn.execute(
            platform_schema.addresses.insert(),
            [
                {
                    **row,
                    **audit,
                    "address_type": "shipping",
                    "city": "New York" if row["customer_id"] == 990_001 else "Shanghai",
                    "state": "NY" if row["customer_id"] == 990_001 else "SH",
                    "postcode": "10001" if row["customer_id"] == 990_001 else "200000",
                    "country_code": "US" if row["customer_id"] == 990_001 else "CN",
                    "is_default": True,
                }
                for row in PLANTED_ADDRESSES
            ],
        )
    engine.dispose()
    events = [
        {
            "event_id": f"planted-{n}",
            "event_type": "page_view",
            "occurred_at": "2025-06-01T10:00:00+00:00",
            "session_id": "planted-session",
            "customer_id": customer["customer_id"],
            "anonymous_id": ANONYMOUS_ID,
            "device_id": customer["signup_device_id"],
            "ip": customer["signup_ip"],
            "page_url": "/products/1",
        }
        for n, customer in enumerate(PLANTED_CUSTOMERS)
    ]
    lines = [json.dumps(event, ensure_ascii=False) for event in events]
    # A line the loader cannot parse, carrying identifiers: its quarantine record must be masked.
    lines.append(
        '{"event_id": "planted-bad", "ip": "198.51.100.213", "email": "ouyang.sasa.planted@leak-check'
    )
    path = events_dir / "planted" / "events-planted.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
