"""Validity checks: email syntax and disposable domains, phones valid for their country, postcodes.

Email and phone validity come from the identity frame (``pii.standardize`` decided them);
these checks turn them into reasons. Reason texts name the email's domain only when it is
a disposable provider's, and the phone's country, never the address or number.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS

from customer_warehouse.authenticity.config import AuthenticityConfig, EmailRules
from customer_warehouse.authenticity.reasons import Finding, collect, finding


def text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Return a text column with every missing or blank value as None (object dtype)."""
    if name not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype="object")
    values = frame[name].astype("object")
    blank = values.isna()
    present = ~blank
    blank[present] = values[present].astype(str).str.strip().eq("").to_numpy()
    return values.where(~blank, None)


def bool_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].eq(True).to_numpy()


@cache
def _disposable_parts(rules: EmailRules) -> frozenset[str]:
    return frozenset((set(DISPOSABLE_DOMAINS) | rules.deny_domains) - rules.allow_domains)


def is_disposable_domain(domain: str, rules: EmailRules) -> bool:
    """Tell whether ``domain`` or a parent domain of it is a disposable provider's."""
    listed = _disposable_parts(rules)
    labels = domain.lower().split(".")
    return any(".".join(labels[i:]) in listed for i in range(len(labels)))


def _test_local_parts(emails: pd.Series, rules: EmailRules) -> np.ndarray:
    """Return True for emails whose local part is a test word, alone or followed by digits or a +tag."""
    words = "|".join(re.escape(word) for word in sorted(rules.test_local_parts))
    pattern = rf"^(?:{words})[\d._-]*(?:\+[^@]*)?@"
    return emails.fillna("").astype(str).str.match(pattern).to_numpy(dtype=bool)


def check_emails(frame: pd.DataFrame, config: AuthenticityConfig) -> list[Finding]:
    email = text_column(frame, "email")
    present = email.notna().to_numpy()
    valid = bool_column(frame, "email_is_valid")
    invalid = finding("email_invalid", present & ~valid, "email is not a valid address")
    domain = text_column(frame, "email_domain")
    known = domain.dropna()
    flags = {value: is_disposable_domain(value, config.email) for value in known.unique()}
    disposable_mask = domain.map(flags).eq(True).to_numpy() & valid
    texts = ("email domain is disposable (" + domain.fillna("") + ")").to_numpy()
    disposable = finding("email_disposable", disposable_mask, texts, {"email_domain": domain.to_numpy()})
    test_mask = _test_local_parts(email, config.email) & present
    test = finding(
        "email_test_address", test_mask & valid & ~disposable_mask, "email local part is a test word"
    )
    return collect(invalid, disposable, test)


def check_phones(frame: pd.DataFrame) -> list[Finding]:
    phone = text_column(frame, "phone")
    country = text_column(frame, "country_code").fillna("an unknown country")
    mask = phone.notna().to_numpy() & ~bool_column(frame, "phone_is_valid")
    texts = ("phone invalid for " + country).to_numpy()
    return collect(finding("phone_invalid", mask, texts, {"country": country.to_numpy()}))


def check_postcodes(frame: pd.DataFrame, config: AuthenticityConfig) -> list[Finding]:
    postcode = text_column(frame, "postcode").str.strip().str.upper()
    country = text_column(frame, "country_code").str.upper()
    bad = np.zeros(len(frame), dtype=bool)
    for code, pattern in config.postcode_formats.items():
        rows = (country == code).to_numpy() & postcode.notna().to_numpy()
        if rows.any():
            matches = postcode[rows].map(lambda value, p=pattern: p.match(value) is not None)
            bad[np.flatnonzero(rows)[~matches.to_numpy(dtype=bool)]] = True
    texts = ("postcode is not well-formed for " + country.fillna("")).to_numpy()
    return collect(finding("postcode_invalid", bad, texts, {"country": country.to_numpy()}))


def check_completeness(frame: pd.DataFrame, config: AuthenticityConfig) -> list[Finding]:
    """Give <identifier>_missing to records lacking an identifier their source always collects."""
    source = text_column(frame, "source")
    missing = {
        "name": _all_missing(frame, ("given_name", "family_name", "full_name")),
        "email": text_column(frame, "email").isna().to_numpy(),
        "phone": text_column(frame, "phone").isna().to_numpy(),
    }
    findings = []
    for identifier, absent in missing.items():
        collecting = [
            name for name, expected in config.expected_identifiers.items() if identifier in expected
        ]
        mask = absent & source.isin(collecting).to_numpy(dtype=bool)
        text = f"{identifier} is missing, though the source always collects it"
        findings.append(finding(f"{identifier}_missing", mask, text))
    return collect(findings)


def _all_missing(frame: pd.DataFrame, names: tuple[str, ...]) -> np.ndarray:
    absent = np.ones(len(frame), dtype=bool)
    for name in names:
        absent &= text_column(frame, name).isna().to_numpy()
    return absent


def validity_findings(frame: pd.DataFrame, config: AuthenticityConfig) -> list[Finding]:
    return collect(
        check_emails(frame, config),
        check_phones(frame),
        check_postcodes(frame, config),
        check_completeness(frame, config),
    )
