"""Plausibility of birth dates, declared categories and declared amounts.

Ages are taken at sign-up (the day the account was created), so a score does not change
as time passes. A record with only a birth year (the CRM export) is aged by years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.config import AuthenticityConfig
from customer_warehouse.authenticity.reasons import Finding, collect, finding
from customer_warehouse.authenticity.validity import text_column


@dataclass
class Births:
    """Birth facts of a batch, one array entry per record (NaN where unknown)."""

    year: np.ndarray
    age: np.ndarray  # whole years at sign-up
    in_future: np.ndarray
    placeholder: np.ndarray


def signup_days(frame: pd.DataFrame, as_of: date) -> list[date]:
    """Return each record's sign-up day (UTC), or ``as_of`` when the creation time is unknown."""
    if "created_at" not in frame:
        return [as_of] * len(frame)
    created = pd.to_datetime(frame["created_at"], utc=True, errors="coerce")
    return [as_of if pd.isna(value) else value.date() for value in created]


def _as_date(value) -> date | None:
    """Return a birth date given as a date, datetime or Timestamp; None for anything else (NaT included)."""
    if not isinstance(value, date) or pd.isna(value):
        return None
    return value.date() if isinstance(value, datetime) else value


def births(frame: pd.DataFrame, facts: pd.DataFrame, config: AuthenticityConfig, as_of: date) -> Births:
    """Compute birth year, age at sign-up and placeholder flags from birth dates, else birth years."""
    full = [_as_date(value) for value in frame.get("birth_date", pd.Series([None] * len(frame)))]
    signed = signup_days(frame, as_of)
    year_only = (
        facts["birth_year"].to_numpy(dtype=float) if "birth_year" in facts else np.full(len(frame), np.nan)
    )
    n = len(frame)
    year, age = np.full(n, np.nan), np.full(n, np.nan)
    future, placeholder = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for i, (birth, day) in enumerate(zip(full, signed, strict=True)):
        if birth is not None:
            year[i] = birth.year
            age[i] = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
            future[i] = birth > day
            placeholder[i] = birth in config.birth.placeholder_dates
        elif not np.isnan(year_only[i]):
            year[i] = year_only[i]
            age[i] = day.year - year_only[i]
            future[i] = year_only[i] > day.year
    return Births(year, age, future, placeholder)


def check_births(born: Births, config: AuthenticityConfig) -> list[Finding]:
    """Give each record at most one birth reason: in the future, too young, too old, else placeholder."""
    rules = config.birth
    known = ~np.isnan(born.age)
    future = born.in_future
    young = known & ~future & (born.age < rules.min_age)
    old = known & ~future & (born.age > rules.max_age)
    placeholder = born.placeholder & ~(future | young | old)
    ages = np.where(known, born.age, 0).astype(int)
    years = np.where(known, born.year, 0).astype(int)
    evidence = {
        "birth_year": np.where(known, born.year, np.nan),
        "age_at_signup": np.where(known, born.age, np.nan),
    }

    def young_texts(rows: np.ndarray) -> list[str]:
        return [f"age {ages[i]} at sign-up is under {rules.min_age}" for i in rows]

    def old_texts(rows: np.ndarray) -> list[str]:
        return [
            f"birth year {years[i]} is implausible: age {ages[i]} at sign-up is over {rules.max_age}"
            for i in rows
        ]

    return collect(
        finding("birth_date_in_future", future, "birth date lies after the sign-up date", evidence),
        finding("birth_date_too_young", young, young_texts, evidence),
        finding("birth_date_too_old", old, old_texts, evidence),
        finding("birth_date_placeholder", placeholder, "birth date is a common placeholder value", evidence),
    )


def plausible_ages(born: Births, config: AuthenticityConfig) -> np.ndarray:
    """Return ages at sign-up, NaN where unknown or implausible, for the cohort statistics."""
    rules = config.birth
    ok = ~born.in_future & (born.age >= rules.min_age) & (born.age <= rules.max_age)
    return np.where(ok, born.age, np.nan)


def check_vocabularies(facts: pd.DataFrame, config: AuthenticityConfig) -> list[Finding]:
    findings = []
    for name, allowed in config.vocabularies.items():
        values = text_column(facts, name)
        unknown = values.map(lambda v, a=allowed: v.strip().casefold() not in a, na_action="ignore")
        mask = unknown.eq(True).to_numpy()
        label = name.replace("_", " ")
        written = values.to_numpy()

        def texts(rows: np.ndarray, label=label, written=written) -> list[str]:
            return [f"{label} {written[i]!r} is not one of the known values" for i in rows]

        findings.append(finding(f"{name}_unknown", mask, texts, {name: written}))
    return collect(findings)


def repeated_digit_placeholders(values: pd.Series, min_digits: int) -> np.ndarray:
    """Return True for whole numbers of ``min_digits`` or more digits that repeat one digit (9999, 666666)."""
    numbers = pd.to_numeric(values, errors="coerce")
    whole = numbers.notna() & (numbers == np.floor(numbers)) & (numbers.abs() < 1e18)
    digits = numbers[whole].abs().astype("int64").astype(str)
    repeated = (digits.str.len() >= min_digits) & digits.map(lambda text: len(set(text)) == 1).eq(True)
    mask = np.zeros(len(values), dtype=bool)
    mask[np.flatnonzero(whole.to_numpy())] = repeated.to_numpy(dtype=bool)
    return mask


def check_income(facts: pd.DataFrame, config: AuthenticityConfig) -> list[Finding]:
    income = facts["income"] if "income" in facts else pd.Series(np.nan, index=facts.index)
    mask = repeated_digit_placeholders(income, config.placeholder_min_digits)
    values = income.to_numpy(dtype=float)

    def texts(rows: np.ndarray) -> list[str]:
        return [f"income {values[i]:.0f} is a placeholder (one digit repeated)" for i in rows]

    return collect(finding("income_placeholder", mask, texts, {"income": values}))


def plausibility_findings(born: Births, facts: pd.DataFrame, config: AuthenticityConfig) -> list[Finding]:
    return collect(check_births(born, config), check_vocabularies(facts, config), check_income(facts, config))
