"""Variant spellings a person produces when registering again.

These run a Python function per duplicate account, which is a small share of all rows
(``DefectRates.duplicate_person``); every other column is generated column-wise.
"""

from __future__ import annotations

import numpy as np

from customer_warehouse.simulator.pools import ascii_fold

NAME_VARIANTS = (
    "name_typo",
    "name_accent_dropped",
    "name_case_whitespace",
    "name_han_pinyin",
    "name_swapped",
)
EMAIL_VARIANTS = (
    "email_case",
    "email_whitespace",
    "email_gmail_dots",
    "email_plus_tag",
    "email_other_address",
)


def typo(rng: np.random.Generator, value: str) -> str:
    """Swap, drop or double one letter of ``value`` (unchanged when it is too short)."""
    if len(value) < 3:
        return value + value[-1:]
    i = int(rng.integers(1, len(value) - 1))
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return value[: i - 1] + value[i] + value[i - 1] + value[i + 1 :]
    if kind == 1:
        return value[:i] + value[i + 1 :]
    return value[:i] + value[i] + value[i:]


def case_whitespace(rng: np.random.Generator, given: str, family: str) -> tuple[str, str, str]:
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return given.upper(), family.upper(), f"{given} {family}".upper()
    if kind == 1:
        return given.lower(), family.lower(), f"{given} {family}".lower()
    if kind == 2:
        return f" {given}", f"{family} ", f" {given}  {family} "
    return given, family, f"{given}  {family}"


def name_variant(
    rng: np.random.Generator, kind: str, name: tuple[str, str, str], other_script: tuple[str, str, str]
) -> tuple[str, str, str]:
    """Return (given, family, full) of a re-registration; ``other_script`` is the Han or pinyin form."""
    given, family, full = name
    if kind == "name_typo":
        family = typo(rng, family)
        return given, family, full.replace(name[1], family)
    if kind == "name_accent_dropped":
        return ascii_fold(given), ascii_fold(family), ascii_fold(full)
    if kind == "name_case_whitespace":
        return case_whitespace(rng, given, family)
    if kind == "name_han_pinyin":
        return other_script
    if kind == "name_swapped":
        return family, given, f"{family} {given}" if " " in full else full
    return name


def _gmail_dots(rng: np.random.Generator, local: str) -> str:
    plain = local.replace(".", "")
    if len(plain) < 3:
        return plain + "."
    cut = int(rng.integers(1, len(plain) - 1))
    return plain[:cut] + "." + plain[cut:]


def email_variant(rng: np.random.Generator, kind: str, email: str, other_address: str) -> str:
    local, _, domain = email.partition("@")
    if kind == "email_case":
        return email.upper() if rng.random() < 0.5 else local.capitalize() + "@" + domain.upper()
    if kind == "email_whitespace":
        return f" {email} " if rng.random() < 0.5 else f"{email}  "
    if kind == "email_gmail_dots":
        return _gmail_dots(rng, local) + "@gmail.com"
    if kind == "email_plus_tag":
        tag = ("shop", "promo", "2024", "deals")[int(rng.integers(0, 4))]
        return f"{local}+{tag}@{domain}"
    if kind == "email_other_address":
        return other_address
    return email


def has_accent(value: str) -> bool:
    return ascii_fold(value) != value
