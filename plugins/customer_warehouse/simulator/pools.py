"""Name and street pools built once per run from Faker's locale data, then sampled with numpy."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass

import numpy as np
from faker import Faker

from customer_warehouse.simulator.reference import FAKER_LOCALES, HAN_GIVEN, HAN_SURNAMES
from customer_warehouse.simulator.textops import pool

log = logging.getLogger(__name__)
POOL_DRAWS = 600


def ascii_fold(value: str) -> str:
    """Drop accents and other marks: "João Müller" becomes "Joao Muller"."""
    decomposed = unicodedata.normalize("NFKD", value.replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class LatinNames:
    """Names of one Latin-script locale, with accent-free spellings aligned by index."""

    female: np.ndarray
    male: np.ndarray
    family: np.ndarray
    female_ascii: np.ndarray
    male_ascii: np.ndarray
    family_ascii: np.ndarray


@dataclass(frozen=True)
class Pools:
    """Every pool a run samples from."""

    latin: dict[str, LatinNames]
    streets: dict[str, np.ndarray]
    han_surname: np.ndarray
    han_surname_pinyin: np.ndarray
    han_given: np.ndarray
    han_given_pinyin: np.ndarray


def _unique(draw, count: int) -> list[str]:
    seen: dict[str, None] = {}
    for _ in range(count):
        seen.setdefault(draw(), None)
    return sorted(seen)


def _latin(fake: Faker) -> LatinNames:
    female = _unique(fake.first_name_female, POOL_DRAWS)
    male = _unique(fake.first_name_male, POOL_DRAWS)
    family = _unique(fake.last_name, POOL_DRAWS)
    return LatinNames(
        female=pool(female),
        male=pool(male),
        family=pool(family),
        female_ascii=pool([ascii_fold(v) for v in female]),
        male_ascii=pool([ascii_fold(v) for v in male]),
        family_ascii=pool([ascii_fold(v) for v in family]),
    )


def build_pools(seed: int) -> Pools:
    """Build the pools from Faker, seeded so the same seed gives the same pools."""
    latin: dict[str, LatinNames] = {}
    streets: dict[str, np.ndarray] = {}
    for country, locale in FAKER_LOCALES.items():
        fake = Faker(locale)
        fake.seed_instance(seed)
        if country != "CN":
            latin[country] = _latin(fake)
        streets[country] = pool(_unique(fake.street_name, POOL_DRAWS))
    log.info("built name and street pools for %s locales", len(FAKER_LOCALES))
    return Pools(
        latin=latin,
        streets=streets,
        han_surname=pool([h for h, _ in HAN_SURNAMES]),
        han_surname_pinyin=pool([p for _, p in HAN_SURNAMES]),
        han_given=pool([h for h, _ in HAN_GIVEN]),
        han_given_pinyin=pool([p for _, p in HAN_GIVEN]),
    )
