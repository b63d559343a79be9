"""The scoring configuration: ``config/authenticity.yml`` read into typed, checked objects.

Every key of the file is required and no other key is accepted, so a misspelt key fails
the run with its name instead of silently switching a rule off. ``CW_AUTHENTICITY_CONFIG``
points at another file.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from customer_warehouse.authenticity.reasons import REASON_KINDS
from customer_warehouse.config import REPO_ROOT

CONFIG_VARIABLE = "CW_AUTHENTICITY_CONFIG"
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "authenticity.yml"
IDENTIFIERS = ("name", "email", "phone")
TRANSFORMS = ("none", "log1p")
TAILS = ("both", "upper", "lower")


class ConfigError(ValueError):
    """The authenticity configuration file is missing, malformed or incomplete."""


@dataclass(frozen=True)
class EmailRules:
    deny_domains: frozenset[str]
    allow_domains: frozenset[str]
    test_local_parts: frozenset[str]


@dataclass(frozen=True)
class BirthRules:
    min_age: int
    max_age: int
    placeholder_dates: frozenset[date]


@dataclass(frozen=True)
class NameRules:
    test_words: frozenset[str]
    keyboard_rows: tuple[str, ...]
    keyboard_run: int
    repeated_letters: int
    consonant_run: int


@dataclass(frozen=True)
class BurstRules:
    window_minutes: float
    min_accounts: int


@dataclass(frozen=True)
class AttributeRule:
    """Comparison rule of one numeric attribute within its cohort."""

    transform: str
    tail: str


@dataclass(frozen=True)
class CohortRules:
    levels: tuple[tuple[str, ...], ...]
    min_size: int
    robust_z_limit: float
    age_bands: tuple[int, ...]
    attributes: dict[str, AttributeRule]
    modal_band_bins: int


@dataclass(frozen=True)
class DriftRules:
    bins: int
    psi_warning: float
    ks_pvalue: float
    ks_statistic: float
    min_rows: int


@dataclass(frozen=True)
class AnomalyRules:
    n_estimators: int
    contamination: float
    random_state: int
    min_rows: int


@dataclass(frozen=True)
class AuthenticityConfig:
    """Thresholds, weights, vocabularies and rule parameters of one scoring run."""

    exclusion_threshold: float
    review_threshold: float
    weights: dict[str, float]
    expected_identifiers: dict[str, frozenset[str]]
    email: EmailRules
    postcode_formats: dict[str, re.Pattern]
    birth: BirthRules
    names: NameRules
    vocabularies: dict[str, frozenset[str]]
    placeholder_min_digits: int
    burst: BurstRules
    cohorts: CohortRules
    drift: DriftRules
    anomaly: AnomalyRules
    max_accounts_per_person: int
    sha256: str


COHORT_FEATURES = ("signup_channel", "region", "age_band")


def config_path() -> Path:
    value = os.environ.get(CONFIG_VARIABLE)
    return Path(value).expanduser() if value else DEFAULT_CONFIG_PATH


def load_config(path: Path | None = None) -> AuthenticityConfig:
    """Read and check the configuration file: ``path``, else ``$CW_AUTHENTICITY_CONFIG``, else the default."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ConfigError(
            f"authenticity configuration {path} not found: restore config/authenticity.yml "
            f"or point {CONFIG_VARIABLE} at a copy"
        ) from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"authenticity configuration {path} is not valid YAML: {error}") from error
    return parse_config(data, source=str(path), sha256=hashlib.sha256(text.encode()).hexdigest())


def parse_config(data: Any, source: str = "configuration", sha256: str = "") -> AuthenticityConfig:
    """Build the typed configuration from the parsed YAML document ``data``."""
    top = _Section(data, source)
    score = top.section("score")
    cohorts = top.section("cohorts")
    config = AuthenticityConfig(
        exclusion_threshold=score.number("exclusion_threshold", 0, 100),
        review_threshold=score.number("review_threshold", 0, 100),
        weights=_weights(top.section("weights")),
        expected_identifiers=_expected_identifiers(top),
        email=_email_rules(top.section("email")),
        postcode_formats=_postcode_formats(top.section("postcode")),
        birth=_birth_rules(top.section("birth_date")),
        names=_name_rules(top.section("names")),
        vocabularies=_vocabularies(top.section("vocabularies")),
        placeholder_min_digits=_single_number(top, "numeric", "placeholder_min_digits", 2, 18),
        burst=_burst_rules(top.section("signup_burst")),
        cohorts=_cohort_rules(cohorts),
        drift=_drift_rules(top.section("drift")),
        anomaly=_anomaly_rules(top.section("anomaly")),
        max_accounts_per_person=_single_number(top, "persons", "max_accounts", 1, 10_000),
        sha256=sha256,
    )
    for section in (top, score, cohorts):
        section.reject_unknown()
    if config.exclusion_threshold > config.review_threshold:
        raise ConfigError(
            f"{source}: score.exclusion_threshold ({config.exclusion_threshold}) is above "
            f"score.review_threshold ({config.review_threshold}); the exclusion threshold must be the lower"
        )
    return config


class _Section:
    """One mapping of the YAML document; records which keys were read to reject unknown ones."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path} must be a mapping of keys to values, not {type(data).__name__}")
        self.data = data
        self.path = path
        self.read: set[str] = set()

    def value(self, key: str) -> Any:
        if key not in self.data:
            raise ConfigError(f"{self.path} has no key {key!r}; add it (see config/authenticity.yml)")
        self.read.add(key)
        return self.data[key]

    def section(self, key: str) -> _Section:
        return _Section(self.value(key), f"{self.path}: {key}")

    def number(self, key: str, low: float, high: float) -> float:
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ConfigError(f"{self.path}: {key} is {value!r}; expected a number from {low} to {high}")
        return float(value)

    def words(self, key: str) -> list[str]:
        value = self.value(key)
        if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
            raise ConfigError(f"{self.path}: {key} must be a list of words, not {value!r}")
        return [str(item) for item in value]

    def reject_unknown(self) -> None:
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            raise ConfigError(f"{self.path} has unknown keys {unknown}; remove them or fix their spelling")


def _single_number(top: _Section, name: str, key: str, low: float, high: float) -> int:
    section = top.section(name)
    value = int(section.number(key, low, high))
    section.reject_unknown()
    return value


def _weights(section: _Section) -> dict[str, float]:
    weights = {code: section.number(code, 0, 100) for code in REASON_KINDS}
    section.reject_unknown()
    return weights


def _expected_identifiers(top: _Section) -> dict[str, frozenset[str]]:
    section = top.section("expected_identifiers")
    expected = {}
    for source in list(section.data):
        names = section.words(source)
        unknown = sorted(set(names) - set(IDENTIFIERS))
        if unknown:
            raise ConfigError(
                f"{section.path}: {source} lists {unknown}; expected some of {list(IDENTIFIERS)}"
            )
        expected[str(source)] = frozenset(names)
    return expected


def _email_rules(section: _Section) -> EmailRules:
    rules = EmailRules(
        deny_domains=frozenset(word.lower() for word in section.words("deny_domains")),
        allow_domains=frozenset(word.lower() for word in section.words("allow_domains")),
        test_local_parts=frozenset(word.lower() for word in section.words("test_local_parts")),
    )
    section.reject_unknown()
    return rules


def _postcode_formats(section: _Section) -> dict[str, re.Pattern]:
    formats = section.section("formats")
    compiled = {}
    for country in list(formats.data):
        pattern = formats.value(country)
        try:
            compiled[str(country).upper()] = re.compile(str(pattern))
        except re.error as error:
            raise ConfigError(
                f"{formats.path}: {country} is not a valid regular expression: {error}"
            ) from error
    section.reject_unknown()
    return compiled


def _birth_rules(section: _Section) -> BirthRules:
    dates = []
    for text in section.words("placeholder_dates"):
        try:
            dates.append(date.fromisoformat(text))
        except ValueError as error:
            raise ConfigError(f"{section.path}: placeholder date {text!r} is not YYYY-MM-DD") from error
    rules = BirthRules(
        min_age=int(section.number("min_age", 0, 150)),
        max_age=int(section.number("max_age", 1, 150)),
        placeholder_dates=frozenset(dates),
    )
    section.reject_unknown()
    return rules


def _name_rules(section: _Section) -> NameRules:
    rules = NameRules(
        test_words=frozenset(word.casefold() for word in section.words("test_words")),
        keyboard_rows=tuple(word.casefold() for word in section.words("keyboard_rows")),
        keyboard_run=int(section.number("keyboard_run", 2, 20)),
        repeated_letters=int(section.number("repeated_letters", 2, 20)),
        consonant_run=int(section.number("consonant_run", 2, 20)),
    )
    section.reject_unknown()
    return rules


def _vocabularies(section: _Section) -> dict[str, frozenset[str]]:
    vocabularies = {name: frozenset(word.casefold() for word in section.words(name)) for name in section.data}
    unknown = sorted(set(vocabularies) - {"marital_status", "education"})
    if unknown:
        raise ConfigError(
            f"{section.path} has vocabularies {unknown}; only marital_status and education are checked"
        )
    return vocabularies


def _burst_rules(section: _Section) -> BurstRules:
    rules = BurstRules(
        window_minutes=section.number("window_minutes", 0.1, 7 * 24 * 60),
        min_accounts=int(section.number("min_accounts", 2, 1_000_000)),
    )
    section.reject_unknown()
    return rules


def _cohort_rules(section: _Section) -> CohortRules:
    levels = []
    for level in section.value("levels"):
        unknown = sorted(set(level) - set(COHORT_FEATURES))
        if unknown:
            raise ConfigError(
                f"{section.path}: levels use {unknown}; expected some of {list(COHORT_FEATURES)}"
            )
        levels.append(tuple(level))
    if not levels or levels[-1]:
        raise ConfigError(
            f"{section.path}: levels must end with [] (the whole source), so every value has a cohort"
        )
    attributes = section.section("attributes")
    rules = {name: _attribute_rule(attributes.section(name)) for name in list(attributes.data)}
    bands = [int(edge) for edge in section.value("age_bands")]
    if bands != sorted(set(bands)):
        raise ConfigError(f"{section.path}: age_bands {bands} must be increasing ages")
    return CohortRules(
        levels=tuple(levels),
        min_size=int(section.number("min_size", 2, 1_000_000)),
        robust_z_limit=section.number("robust_z_limit", 1, 1000),
        age_bands=tuple(bands),
        attributes=rules,
        modal_band_bins=int(section.number("modal_band_bins", 2, 1000)),
    )


def _attribute_rule(section: _Section) -> AttributeRule:
    transform, tail = section.value("transform"), section.value("tail")
    if transform not in TRANSFORMS or tail not in TAILS:
        raise ConfigError(
            f"{section.path}: transform {transform!r} and tail {tail!r}; expected a transform of "
            f"{list(TRANSFORMS)} and a tail of {list(TAILS)}"
        )
    section.reject_unknown()
    return AttributeRule(transform, tail)


def _drift_rules(section: _Section) -> DriftRules:
    rules = DriftRules(
        bins=int(section.number("bins", 2, 100)),
        psi_warning=section.number("psi_warning", 0, 100),
        ks_pvalue=section.number("ks_pvalue", 0, 1),
        ks_statistic=section.number("ks_statistic", 0, 1),
        min_rows=int(section.number("min_rows", 2, 1_000_000)),
    )
    section.reject_unknown()
    return rules


def _anomaly_rules(section: _Section) -> AnomalyRules:
    rules = AnomalyRules(
        n_estimators=int(section.number("n_estimators", 1, 10_000)),
        contamination=section.number("contamination", 0.0001, 0.5),
        random_state=int(section.number("random_state", 0, 2**32 - 1)),
        min_rows=int(section.number("min_rows", 2, 10_000_000)),
    )
    section.reject_unknown()
    return rules
