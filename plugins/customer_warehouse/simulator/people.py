"""The true persons behind customer accounts, and how one account writes a person down."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from customer_warehouse.simulator.formats import (
    BIRTH_TEMPLATES,
    BIRTH_WEIGHTS,
    PHONE_TEMPLATES,
    birth_parts,
    gender_codes,
    phone_parts,
    render_mixed,
)
from customer_warehouse.simulator.places import Places, draw_places
from customer_warehouse.simulator.pools import Pools
from customer_warehouse.simulator.reference import COUNTRIES, COUNTRY_WEIGHTS, EMAIL_DOMAINS
from customer_warehouse.simulator.textops import STR, concat, pick, pool, text, where

EMAIL_PATTERNS = ("{g}.{f}", "{g}{f}{n}", "{g0}{f}{n}", "{f}.{g}{n}", "{g}_{f}", "{g}.{f}{n}")


@dataclass
class Persons:
    """One row per real person; ``latin`` names are pinyin for Chinese persons."""

    country: np.ndarray
    female: np.ndarray
    given_native: np.ndarray
    family_native: np.ndarray
    given_latin: np.ndarray
    family_latin: np.ndarray
    given_ascii: np.ndarray
    family_ascii: np.ndarray
    birth_days: np.ndarray
    phone: dict[str, np.ndarray]
    email: np.ndarray
    home: Places

    def __len__(self) -> int:
        return len(self.country)


def _han_names(rng: np.random.Generator, pools: Pools, n: int) -> tuple[np.ndarray, ...]:
    surname = rng.integers(0, len(pools.han_surname), n)
    first = rng.integers(0, len(pools.han_given), n)
    second = rng.integers(0, len(pools.han_given), n)
    two_chars = rng.random(n) < 0.7
    han_given = where(
        two_chars, concat(pools.han_given[first], pools.han_given[second]), pools.han_given[first]
    )
    pinyin_tail = where(two_chars, pools.han_given_pinyin[second], "")
    pinyin_given = concat(np.strings.capitalize(pools.han_given_pinyin[first]), pinyin_tail)
    pinyin_family = pools.han_surname_pinyin[surname]
    return pools.han_surname[surname], han_given, pinyin_family, pinyin_given


def _names(rng: np.random.Generator, pools: Pools, persons_country: np.ndarray, female: np.ndarray):
    n = len(persons_country)
    cols = {key: np.full(n, "", dtype=STR) for key in ("gn", "fn", "gl", "fl", "ga", "fa")}
    rows = np.flatnonzero(persons_country == "CN")
    family, given, pinyin_family, pinyin_given = _han_names(rng, pools, len(rows))
    cols["gn"][rows], cols["fn"][rows] = given, family
    for key, value in (
        ("gl", pinyin_given),
        ("fl", pinyin_family),
        ("ga", pinyin_given),
        ("fa", pinyin_family),
    ):
        cols[key][rows] = value
    for country, names in pools.latin.items():
        rows = np.flatnonzero(persons_country == country)
        is_female = female[rows]
        f_idx = rng.integers(0, len(names.female), len(rows))
        m_idx = rng.integers(0, len(names.male), len(rows))
        fam = rng.integers(0, len(names.family), len(rows))
        given = where(is_female, names.female[f_idx % len(names.female)], names.male[m_idx % len(names.male)])
        given_ascii = where(is_female, names.female_ascii[f_idx], names.male_ascii[m_idx])
        cols["gn"][rows] = cols["gl"][rows] = given
        cols["fn"][rows] = cols["fl"][rows] = names.family[fam]
        cols["ga"][rows], cols["fa"][rows] = given_ascii, names.family_ascii[fam]
    return cols


def _email_local(rng: np.random.Generator, given_ascii: np.ndarray, family_ascii: np.ndarray) -> np.ndarray:
    def clean(values: np.ndarray) -> np.ndarray:
        lowered = np.strings.lower(values)
        for ch in (" ", "'", "-"):
            lowered = np.strings.replace(lowered, ch, "")
        return lowered

    g, f = clean(given_ascii), clean(family_ascii)
    parts = {"g": g, "f": f, "g0": np.strings.slice(g, 0, 1), "n": text(rng.integers(1, 9999, len(g)))}
    local, _ = render_mixed(rng, EMAIL_PATTERNS, (0.15, 0.25, 0.2, 0.15, 0.1, 0.15), parts)
    return local


def draw_persons(rng: np.random.Generator, pools: Pools, n: int, oldest_day: int) -> Persons:
    """Draw ``n`` persons; ``oldest_day`` (days since 1970) anchors plausible birth dates."""
    country = pick(rng, COUNTRIES, n, COUNTRY_WEIGHTS)
    female = rng.random(n) < 0.52
    names = _names(rng, pools, country, female)
    home = draw_places(rng, pools, country)
    ages_days = rng.integers(18 * 365, 75 * 365, n)
    phone = {"a": np.full(n, "", dtype=STR), "b": np.full(n, "", dtype=STR), "c": np.full(n, "", dtype=STR)}
    email = np.full(n, "", dtype=STR)
    local = _email_local(rng, names["ga"], names["fa"])
    for code in COUNTRIES:
        rows = np.flatnonzero(country == code)
        for key, value in phone_parts(rng, code, len(rows), home.area_code[rows]).items():
            phone[key][rows] = value
        email[rows] = concat(local[rows], "@", pick(rng, EMAIL_DOMAINS[code], len(rows)))
    qq = (country == "CN") & (rng.random(n) < 0.25)
    email[qq] = concat(text(rng.integers(10_000_000, 3_000_000_000, int(qq.sum()))), "@qq.com")
    return Persons(
        country=country,
        female=female,
        given_native=names["gn"],
        family_native=names["fn"],
        given_latin=names["gl"],
        family_latin=names["fl"],
        given_ascii=names["ga"],
        family_ascii=names["fa"],
        birth_days=oldest_day - ages_days,
        phone=phone,
        email=email,
        home=home,
    )


@dataclass
class AccountNames:
    """Name columns of accounts, and whether each account used the Han script."""

    given: np.ndarray
    family: np.ndarray
    full: np.ndarray
    han: np.ndarray


def render_names(
    rng: np.random.Generator, persons: Persons, person: np.ndarray, han_share: float
) -> AccountNames:
    """Write each account's name: Han or pinyin for Chinese persons, native spelling otherwise."""
    chinese = persons.country[person] == "CN"
    han = chinese & (rng.random(len(person)) < han_share)
    given = where(han, persons.given_native[person], persons.given_latin[person])
    family = where(han, persons.family_native[person], persons.family_latin[person])
    family_first = chinese & (rng.random(len(person)) < 0.5)
    latin_full = where(family_first, concat(family, " ", given), concat(given, " ", family))
    return AccountNames(
        given=given, family=family, full=where(han, concat(family, given), latin_full), han=han
    )


def render_phones(rng: np.random.Generator, persons: Persons, person: np.ndarray) -> np.ndarray:
    out = np.full(len(person), "", dtype=STR)
    countries = persons.country[person]
    for code, templates in PHONE_TEMPLATES.items():
        rows = np.flatnonzero(countries == code)
        parts = {key: value[person[rows]] for key, value in persons.phone.items()}
        out[rows], _ = render_mixed(rng, [t for t, _ in templates], [w for _, w in templates], parts)
    return out


def render_birth_dates(rng: np.random.Generator, birth_days: np.ndarray, countries: np.ndarray) -> np.ndarray:
    out = np.full(len(birth_days), "", dtype=STR)
    parts = birth_parts(birth_days)
    for code, weights in BIRTH_WEIGHTS.items():
        rows = np.flatnonzero(countries == code)
        noisy = np.asarray(weights) * 0.9 + 0.02
        out[rows], _ = render_mixed(rng, BIRTH_TEMPLATES, noisy, {k: v[rows] for k, v in parts.items()})
    return out


def render_genders(rng: np.random.Generator, persons: Persons, person: np.ndarray) -> np.ndarray:
    out = np.empty(len(person), dtype=object)
    countries = persons.country[person]
    for code in COUNTRIES:
        rows = np.flatnonzero(countries == code)
        out[rows] = gender_codes(rng, persons.female[person[rows]], code)
    return out


__all__ = [
    "Persons",
    "draw_persons",
    "render_names",
    "render_phones",
    "render_birth_dates",
    "render_genders",
    "pool",
]
