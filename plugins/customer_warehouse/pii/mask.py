"""Masking of direct identifiers in what people read: quarantine listings, messages, samples.

A masked value keeps just enough shape to debug a load (the email's domain, a phone's
last two digits, a name's first letter) and never the value itself. Free text that may
hold identifiers (an unparseable input line) is scanned for emails, IP addresses and
long digit runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

# Field names that hold a direct identifier in any source, and how to mask each.
_NAME_FIELDS = frozenset({"given_name", "family_name", "full_name", "name"})
_EMAIL_FIELDS = frozenset({"email"})
_PHONE_FIELDS = frozenset({"phone", "mobile"})
_HIDDEN_FIELDS = frozenset(
    {"birth_date", "line1", "line2", "signup_device_id", "signup_ip", "device_id", "ip", "anonymous_id"}
)
IDENTIFIER_FIELDS = _NAME_FIELDS | _EMAIL_FIELDS | _PHONE_FIELDS | _HIDDEN_FIELDS

# The local part of anything shaped like an address, complete or cut off.
_EMAIL = re.compile(r"[^\s@\"',;<>{}\[\]]+@([A-Za-z0-9.-]*)")
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_IPV6 = re.compile(r"\b(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}\b")
_DIGITS = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_UUID = re.compile(r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b")


def mask_value(field: str, value: Any) -> Any:
    """Return ``value`` masked if ``field`` names a direct identifier, else unchanged."""
    if value is None or field not in IDENTIFIER_FIELDS:
        return value
    text = str(value).strip()
    if not text:
        return value
    if field in _EMAIL_FIELDS:
        _, at, domain = text.rpartition("@")
        return f"{MASK}@{domain}" if at else MASK
    if field in _PHONE_FIELDS:
        digits = re.sub(r"\D", "", text)
        return f"{MASK}{digits[-2:]}" if len(digits) >= 6 else MASK
    if field in _NAME_FIELDS:
        return f"{text[0]}{MASK}"
    return MASK


def mask_text(text: str) -> str:
    """Mask emails, IP addresses, UUIDs and runs of 8 or more digits inside free text."""
    text = _EMAIL.sub(lambda match: f"{MASK}@{match.group(1)}", text)
    text = _UUID.sub(MASK, text)
    text = _IPV6.sub(MASK, text)
    text = _IPV4.sub(MASK, text)
    return _DIGITS.sub(
        lambda match: MASK if sum(c.isdigit() for c in match.group()) >= 8 else match.group(), text
    )


def mask_record(record: Mapping[str, Any], scan_lines: bool = True) -> dict[str, Any]:
    """Return a copy of ``record`` with identifier fields masked, nested objects included.

    With ``scan_lines``, an unparsed input line (``_line``) is masked by ``mask_text``;
    sources that carry no identifiers turn it off, so their dates and ids stay readable.
    """
    masked: dict[str, Any] = {}
    for field, value in record.items():
        if isinstance(value, Mapping):
            masked[field] = mask_record(value, scan_lines)
        elif field == "_line" and isinstance(value, str) and scan_lines:
            masked[field] = mask_text(value)
        else:
            masked[field] = mask_value(field, value)
    return masked
