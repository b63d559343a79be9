"""Standardization of direct identifiers, done in Python before they are split off into the vault.

Identifiers never reach the warehouse, so they cannot be standardized by dbt: the
extraction step standardizes them here, stores them encrypted in the PII vault and passes
only derived, non-identifying facts (email domain and validity, phone validity and
region, birth year) to ``raw``. Every function takes text as written on a sign-up form
and never raises on bad input: it returns ``None`` (or ``False``) instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import phonenumbers

# A local part of letters, digits and ._%+- that neither starts nor ends with a dot nor
# holds two dots in a row, an @, and dot-separated domain labels ending in a top-level
# domain of two or more letters. Deliverability is not checked.
_EMAIL = re.compile(r"^[a-z0-9_%+-]+(\.[a-z0-9_%+-]+)*@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
# Mailbox providers that ignore dots in the local part.
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})

_YEAR_FIRST = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_YEAR_LAST = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")

_FEMALE = frozenset({"f", "female", "woman", "女"})
_MALE = frozenset({"m", "male", "man", "男"})


def clean_text(value: object) -> str | None:
    """Return ``value`` as text with Unicode normalized (NFC) and whitespace collapsed, or None if blank."""
    if value is None:
        return None
    text = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return text or None


def normalize_email(value: object) -> str | None:
    """Return the email trimmed and lower-cased, or None when it is blank."""
    text = clean_text(value)
    return text.lower() if text else None


def is_valid_email(email: str | None) -> bool:
    """Tell whether an already normalized email is syntactically plausible."""
    return bool(email) and _EMAIL.match(email) is not None


def email_domain(email: str | None) -> str | None:
    """Return the domain of a syntactically valid email, or None."""
    if not is_valid_email(email):
        return None
    return email.rsplit("@", 1)[1]


def canonical_email(email: str | None) -> str | None:
    """Return the mailbox an email delivers to: no ``+tag``, no dots where the provider ignores them.

    Two spellings with the same canonical form reach the same person, so identity
    resolution links them and an erasure request by either spelling finds both.
    """
    if not is_valid_email(email):
        return None
    local, domain = email.rsplit("@", 1)
    local = local.split("+", 1)[0]
    if domain in _DOTLESS_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}" if local else None


@dataclass(frozen=True)
class Phone:
    """A phone number as standardized: E.164 when valid for its region, and the region it belongs to."""

    e164: str | None
    region: str | None
    is_valid: bool


_NO_PHONE = Phone(None, None, False)


def standardize_phone(value: object, country_code: str | None) -> Phone:
    """Parse a phone number written in any common style, taking ``country_code`` as its home region.

    Validity is the ``phonenumbers`` library's: the number must be possible and assigned
    in its region's numbering plan. A number written with the North American exit code
    011 (``011 55 11 91234 5678``) is read as international whatever the customer's
    country, because sign-up forms from the US wrote foreign numbers that way.
    """
    text = clean_text(value)
    if not text:
        return _NO_PHONE
    region = (country_code or "").strip().upper() or None
    digits = re.sub(r"\D", "", text)
    candidates = [(text, region)]
    if digits.startswith("011") and region != "US":
        candidates.append(("+" + digits[3:], None))
    for written, home in candidates:
        try:
            number = phonenumbers.parse(written, home)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return Phone(e164, phonenumbers.region_code_for_number(number), True)
    return _NO_PHONE


def parse_birth_date(value: object) -> date | None:
    """Parse a birth date in the layouts the platform's sign-up forms produced, or return None.

    Year first: ``1990-04-17``, ``1990/04/17``, ``19900417``. Year last is always day
    first (``17/04/1990``, ``17.04.1990``, ``17-04-1990``), as the non-US forms wrote it,
    so ``04/17/1990`` is invalid. Days that do not exist (``1990-02-30``) are invalid.
    """
    text = clean_text(value)
    if not text:
        return None
    if match := _YEAR_FIRST.match(text) or _COMPACT.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _YEAR_LAST.match(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def standardize_gender(value: object) -> str:
    """Map a gender code to ``female``, ``male`` or ``unknown`` (F/M, words in any case, 女/男)."""
    text = (clean_text(value) or "").lower()
    if text in _FEMALE:
        return "female"
    if text in _MALE:
        return "male"
    return "unknown"


def age_on(birth: date | None, day: date) -> int | None:
    """Return the age in whole years on ``day``, negative when ``birth`` lies after it, or None."""
    if birth is None:
        return None
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years
