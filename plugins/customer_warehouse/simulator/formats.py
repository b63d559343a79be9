"""Mixed writing styles of phones, birth dates and gender codes, rendered column-wise.

A template such as ``"+86 {a} {b} {c}"`` names parts of a value; ``render`` fills it for
every row at once, and ``render_mixed`` gives each row one template drawn by weight.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from customer_warehouse.simulator.textops import STR, concat, zpad

PHONE_TEMPLATES: dict[str, tuple[tuple[str, float], ...]] = {
    "CN": (
        ("+86 {a} {b} {c}", 0.25),
        ("{a}{b}{c}", 0.35),
        ("0086-{a}-{b}-{c}", 0.1),
        ("+86{a}{b}{c}", 0.15),
        ("{a}-{b}-{c}", 0.1),
        ("{a} {b} {c}", 0.05),
    ),
    "US": (
        ("({a}) {b}-{c}", 0.35),
        ("+1 {a} {b} {c}", 0.2),
        ("{a}-{b}-{c}", 0.2),
        ("{a}{b}{c}", 0.1),
        ("+1{a}{b}{c}", 0.08),
        ("1-{a}-{b}-{c}", 0.04),
        ("{a}.{b}.{c}", 0.03),
    ),
    "GB": (
        ("+44 {a} {b}", 0.3),
        ("0{a} {b}", 0.35),
        ("0{a}{b}", 0.15),
        ("+44{a}{b}", 0.1),
        ("0044 {a} {b}", 0.1),
    ),
    "BR": (
        ("+55 {a} {b}-{c}", 0.3),
        ("({a}) {b}-{c}", 0.35),
        ("011 55 {a} {b} {c}", 0.05),
        ("55{a}{b}{c}", 0.1),
        ("{a}{b}{c}", 0.1),
        ("0{a} {b}-{c}", 0.1),
    ),
    "DE": (
        ("+49 {a} {b}", 0.3),
        ("0{a} {b}", 0.3),
        ("0049 {a} {b}", 0.1),
        ("0{a}{b}", 0.15),
        ("+49{a}{b}", 0.1),
        ("0{a}/{b}", 0.05),
    ),
}
BIRTH_TEMPLATES: tuple[str, ...] = ("{Y}-{m}-{d}", "{d}/{m}/{Y}", "{Y}/{m}/{d}", "{d}.{m}.{Y}", "{Y}{m}{d}")
BIRTH_WEIGHTS: dict[str, tuple[float, ...]] = {
    "CN": (0.45, 0.02, 0.33, 0.0, 0.2),
    "US": (0.6, 0.05, 0.2, 0.0, 0.15),
    "GB": (0.3, 0.6, 0.0, 0.0, 0.1),
    "BR": (0.3, 0.65, 0.0, 0.0, 0.05),
    "DE": (0.3, 0.0, 0.0, 0.65, 0.05),
}
# Gender code styles as (female, male) pairs; the last two styles are "U" and NULL for every row.
GENDER_STYLES: tuple[tuple[str, str], ...] = (
    ("F", "M"),
    ("female", "male"),
    ("Female", "Male"),
    ("f", "m"),
    ("女", "男"),
)
GENDER_WEIGHTS: dict[str, tuple[float, ...]] = {
    "CN": (0.3, 0.1, 0.05, 0.05, 0.4, 0.03, 0.07),
    "other": (0.45, 0.2, 0.15, 0.1, 0.0, 0.03, 0.07),
}

_FIELD = re.compile(r"\{(\w+)\}")


def render(template: str, parts: Mapping[str, np.ndarray]) -> np.ndarray:
    """Fill ``template`` for every row from the arrays in ``parts``."""
    pieces: list[np.ndarray | str] = []
    position = 0
    for match in _FIELD.finditer(template):
        pieces.append(template[position : match.start()])
        pieces.append(parts[match.group(1)])
        position = match.end()
    pieces.append(template[position:])
    n = len(next(iter(parts.values())))
    return concat(np.full(n, "", dtype=STR), *[p for p in pieces if not (isinstance(p, str) and p == "")])


def render_mixed(
    rng: np.random.Generator,
    templates: Sequence[str],
    weights: Sequence[float],
    parts: Mapping[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Render each row with one template drawn by weight; return the strings and template indexes."""
    n = len(next(iter(parts.values())))
    p = np.asarray(weights, dtype=float) / np.sum(weights)
    chosen = rng.choice(len(templates), size=n, p=p)
    out = np.full(n, "", dtype=STR)
    for index, template in enumerate(templates):
        rows = np.flatnonzero(chosen == index)
        if len(rows):
            out[rows] = render(template, {k: v[rows] for k, v in parts.items()})
    return out, chosen


def phone_parts(
    rng: np.random.Generator, country: str, n: int, area_codes: np.ndarray
) -> dict[str, np.ndarray]:
    """Draw national phone numbers of ``country`` split into the groups its formats use."""
    if country == "CN":
        prefix = rng.choice([130, 131, 135, 136, 138, 139, 150, 152, 158, 166, 177, 186, 188, 199], size=n)
        return {
            "a": zpad(prefix, 3),
            "b": zpad(rng.integers(0, 10_000, n), 4),
            "c": zpad(rng.integers(0, 10_000, n), 4),
        }
    if country == "US":
        return {
            "a": area_codes,
            "b": zpad(rng.integers(201, 1000, n), 3),
            "c": zpad(rng.integers(0, 10_000, n), 4),
        }
    if country == "GB":
        # Mobile ranges 074-075 and 077-079; 076 holds pagers, which are not personal numbers.
        block = rng.integers(7400, 7900, n)
        block = np.where(block >= 7600, block + 100, block)
        return {"a": zpad(block, 4), "b": zpad(rng.integers(0, 1_000_000, n), 6)}
    if country == "BR":
        return {
            "a": area_codes,
            "b": zpad(rng.integers(90_000, 100_000, n), 5),
            "c": zpad(rng.integers(0, 10_000, n), 4),
        }
    # German mobile prefixes; each takes an 8-digit subscriber number.
    prefix = rng.choice([151, 152, 157, 160, 162, 170, 171, 172, 176, 179], size=n)
    return {"a": zpad(prefix, 3), "b": zpad(rng.integers(10_000_000, 100_000_000, n), 8)}


def birth_parts(days_since_epoch: np.ndarray) -> dict[str, np.ndarray]:
    dates = days_since_epoch.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]")
    months = dates.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return {"Y": zpad(year, 4), "m": zpad(month, 2), "d": zpad(day, 2)}


def gender_codes(rng: np.random.Generator, female: np.ndarray, country: str) -> np.ndarray:
    """Return gender codes in mixed styles, with "U" and ``None`` for some rows."""
    weights = np.asarray(GENDER_WEIGHTS["CN" if country == "CN" else "other"])
    style = rng.choice(len(weights), size=len(female), p=weights / weights.sum())
    codes = np.empty(len(female), dtype=object)
    for index, (f_code, m_code) in enumerate(GENDER_STYLES):
        rows = style == index
        codes[rows] = np.where(female[rows], f_code, m_code)
    codes[style == len(GENDER_STYLES)] = "U"
    codes[style == len(GENDER_STYLES) + 1] = None
    return codes
