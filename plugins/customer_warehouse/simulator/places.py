"""Postal addresses whose city, state and postcode agree, drawn from the reference cities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from customer_warehouse.simulator.pools import Pools
from customer_warehouse.simulator.reference import CITIES, GB_INWARD_LETTERS, POSTCODE_DIGITS
from customer_warehouse.simulator.textops import STR, concat, pick, pool, text, where, zpad

LINE2: dict[str, tuple[str, ...]] = {
    "US": ("Apt 4B", "Suite 200", "Apt 12", "Unit 3", "Floor 2"),
    "GB": ("Flat 2", "Flat 14", "Apartment 5", "Unit 7"),
    "BR": ("Apto 101", "Apto 52", "Casa 2", "Bloco B, Apto 34"),
    "DE": ("Wohnung 3", "2. OG", "Hinterhaus", "c/o Schmidt"),
    "CN": ("3单元502室", "1栋1201室", "B座808室", "2号楼301室"),
}


@dataclass
class Places:
    """Address columns for a batch of rows; ``area_code`` is the city's phone area code."""

    city: np.ndarray
    state: np.ndarray
    postcode: np.ndarray
    line1: np.ndarray
    line2: np.ndarray  # object array with None where the address has no second line
    area_code: np.ndarray
    street: np.ndarray
    house: np.ndarray

    def take(self, rows: np.ndarray) -> Places:
        return Places(**{name: getattr(self, name)[rows] for name in self.__dataclass_fields__})


def _postcodes(rng: np.random.Generator, country: str, prefixes: np.ndarray) -> np.ndarray:
    n = len(prefixes)
    if country == "GB":
        outward = np.array([rng.choice(p.split()) for p in prefixes], dtype=STR) if n else prefixes
        letters = pool(list(GB_INWARD_LETTERS))
        inward = concat(
            text(rng.integers(0, 10, n)), letters[rng.integers(0, 20, n)], letters[rng.integers(0, 20, n)]
        )
        return concat(outward, " ", inward)
    width = POSTCODE_DIGITS[country]
    lengths = np.strings.str_len(prefixes)
    rest_width = width - lengths
    rest = rng.integers(0, 10 ** rest_width.max(initial=1), n) % (10**rest_width)
    if country == "CN":
        rest = rest - rest % 100  # city-level Chinese postcodes end in 00, as in 100000
    digits = np.full(n, "", dtype=STR)
    for w in np.unique(rest_width):
        rows = rest_width == w
        digits[rows] = concat(prefixes[rows], zpad(rest[rows], int(w)))
    if country == "BR":
        return concat(np.strings.slice(digits, 0, 5), "-", np.strings.slice(digits, 5, 8))
    return digits


def _line1(country: str, street: np.ndarray, house: np.ndarray) -> np.ndarray:
    number = text(house)
    if country in ("US", "GB"):
        return concat(number, " ", street)
    if country == "BR":
        return concat(street, ", ", number)
    if country == "CN":
        return concat(street, number, "号")
    return concat(street, " ", number)


def draw_places(rng: np.random.Generator, pools: Pools, countries: np.ndarray) -> Places:
    """Draw one address for each entry of ``countries``."""
    n = len(countries)
    out = Places(
        *(np.full(n, "", dtype=STR) for _ in range(4)),
        np.full(n, None, dtype=object),
        np.full(n, "", dtype=STR),
        np.full(n, "", dtype=STR),
        np.zeros(n, dtype=np.int64),
    )
    for country, cities in CITIES.items():
        rows = np.flatnonzero(countries == country)
        if not len(rows):
            continue
        m = len(rows)
        weights = 1.0 / np.arange(1, len(cities) + 1) ** 0.6  # bigger cities first, mild skew
        city = rng.choice(len(cities), size=m, p=weights / weights.sum())
        out.city[rows] = pool([c.name for c in cities])[city]
        out.state[rows] = pool([c.state for c in cities])[city]
        out.area_code[rows] = pool([c.area_code for c in cities])[city]
        out.postcode[rows] = _postcodes(rng, country, pool([c.postcode_prefix for c in cities])[city])
        out.street[rows] = pools.streets[country][rng.integers(0, len(pools.streets[country]), m)]
        out.house[rows] = np.minimum(rng.geometric(0.03, m), 999)
        out.line1[rows] = _line1(country, out.street[rows], out.house[rows])
        has_line2 = rng.random(m) < 0.3
        out.line2[rows[has_line2]] = pick(rng, LINE2[country], int(has_line2.sum())).astype(object)
    return out


def near_places(rng: np.random.Generator, places: Places, countries: np.ndarray) -> Places:
    """Return the same addresses with a nearby house number and sometimes a missing second line."""
    near = places.take(np.arange(len(countries)))
    near.house = np.maximum(near.house + rng.choice([-2, -1, 1, 2], len(countries)), 1)
    for country in np.unique(countries):
        rows = np.flatnonzero(countries == country)
        near.line1[rows] = _line1(str(country), near.street[rows], near.house[rows])
    near.line2 = np.where(rng.random(len(countries)) < 0.5, None, near.line2)
    near.line1 = where(rng.random(len(countries)) < 0.3, np.strings.upper(near.line1), near.line1)
    return near
