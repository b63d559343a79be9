"""Typed settings of identity resolution, read from ``config/identity.yml``.

The folder defaults to ``<repo>/config`` and ``CW_IDENTITY_CONFIG_DIR`` overrides it.
Every setting is checked on load, and an invalid one raises ``IdentityConfigError``
naming the file, the key and what to write instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from customer_warehouse.config import REPO_ROOT
from customer_warehouse.identity.frame import FRAME_COLUMNS

CONFIG_DIR_VARIABLE = "CW_IDENTITY_CONFIG_DIR"
IDENTITY_FILE = "identity.yml"
# Columns of the matching table that blocking rules may name (see prepare.py).
BLOCKING_COLUMNS = frozenset({"email", "phone", "name_key", "birth_date", "postcode", "city", "person_ref"})
# Fields a link may be corroborated by (see ProbabilisticSettings.corroborated_by).
CORROBORATING_FIELDS = ("birth_date", "phone", "postcode")


class IdentityConfigError(ValueError):
    """A setting in the identity or survivorship configuration is missing or invalid."""


def config_dir() -> Path:
    value = os.environ.get(CONFIG_DIR_VARIABLE)
    return Path(value).expanduser().resolve() if value else REPO_ROOT / "config"


@dataclass(frozen=True)
class DeterministicRule:
    """Link accounts sharing ``key`` unless they disagree on a field of ``unless_conflict``.

    With ``corroborated_by``, a pair must also agree on one of those frame columns.
    """

    name: str
    key: str
    unless_conflict: tuple[str, ...]
    max_accounts: int | None
    corroborated_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlockingRule:
    """Candidate pairs for the probabilistic model: accounts equal on every column."""

    name: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ProbabilisticSettings:
    match_probability_threshold: float
    blocking_rules: tuple[BlockingRule, ...]
    max_block_size: int
    seed: int
    min_accounts_to_train: int
    u_max_pairs: int
    em_max_pairs: int
    em_blocking_rules: tuple[tuple[str, ...], ...]
    model_file: Path
    # A scored pair becomes a link only if one of these fields agrees: birth date and
    # phone up to a typo, postcode exactly. When empty, the probability alone decides.
    corroborated_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdentitySettings:
    deterministic_rules: tuple[DeterministicRule, ...]
    probabilistic: ProbabilisticSettings
    source: Path

    @classmethod
    def load(cls, path: Path | None = None) -> IdentitySettings:
        path = path or config_dir() / IDENTITY_FILE
        data = read_yaml(path)
        rules = tuple(
            _deterministic(path, i, item) for i, item in enumerate(_list(path, data, "deterministic_rules"))
        )
        return cls(deterministic_rules=rules, probabilistic=_probabilistic(path, data), source=path)


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise IdentityConfigError(
            f"identity configuration {path} not found: restore it from the repository's config/ "
            f"folder or point {CONFIG_DIR_VARIABLE} at a folder that has it"
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise IdentityConfigError(f"{path} must contain a YAML mapping at the top level")
    return data


def _require(path: Path, data: dict, key: str, where: str = "") -> Any:
    if key not in data:
        raise IdentityConfigError(f"{path}: {where}{key} is missing")
    return data[key]


def _list(path: Path, data: dict, key: str, where: str = "") -> list:
    value = _require(path, data, key, where)
    if not isinstance(value, list):
        raise IdentityConfigError(f"{path}: {where}{key} must be a list, got {value!r}")
    return value


def _frame_column(path: Path, value: Any, where: str) -> str:
    if value not in FRAME_COLUMNS:
        raise IdentityConfigError(
            f"{path}: {where} names {value!r}, which is not an identity frame column; "
            f"use one of {', '.join(FRAME_COLUMNS)}"
        )
    return value


def _positive_or_none(path: Path, value: Any, where: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or value < 2:
        raise IdentityConfigError(f"{path}: {where} must be an integer of at least 2 or null, got {value!r}")
    return value


def _deterministic(path: Path, index: int, item: Any) -> DeterministicRule:
    where = f"deterministic_rules[{index}]."
    if not isinstance(item, dict):
        raise IdentityConfigError(f"{path}: deterministic_rules[{index}] must be a mapping")
    conflicts = tuple(
        _frame_column(path, column, f"{where}unless_conflict")
        for column in _list(path, item, "unless_conflict", where)
    )
    corroborating = item.get("corroborated_by") or []
    if not isinstance(corroborating, list):
        raise IdentityConfigError(f"{path}: {where}corroborated_by must be a list of identity frame columns")
    return DeterministicRule(
        name=str(_require(path, item, "name", where)),
        key=_frame_column(path, _require(path, item, "key", where), f"{where}key"),
        unless_conflict=conflicts,
        max_accounts=_positive_or_none(path, item.get("max_accounts"), f"{where}max_accounts"),
        corroborated_by=tuple(
            _frame_column(path, column, f"{where}corroborated_by") for column in corroborating
        ),
    )


def _corroborating(path: Path, section: dict, where: str) -> tuple[str, ...]:
    fields = section.get("corroborated_by") or []
    if not isinstance(fields, list) or any(field not in CORROBORATING_FIELDS for field in fields):
        raise IdentityConfigError(
            f"{path}: {where}corroborated_by is {fields!r}; list some of {', '.join(CORROBORATING_FIELDS)}"
        )
    return tuple(fields)


def _blocking_columns(path: Path, columns: Any, where: str) -> tuple[str, ...]:
    if not isinstance(columns, list) or not columns:
        raise IdentityConfigError(f"{path}: {where} must be a non-empty list of columns")
    for column in columns:
        if column not in BLOCKING_COLUMNS:
            raise IdentityConfigError(
                f"{path}: {where} names {column!r}; "
                f"blocking columns are {', '.join(sorted(BLOCKING_COLUMNS))}"
            )
    return tuple(columns)


def _probabilistic(path: Path, data: dict) -> ProbabilisticSettings:
    section = _require(path, data, "probabilistic")
    where = "probabilistic."
    threshold = float(_require(path, section, "match_probability_threshold", where))
    if not 0.5 <= threshold < 1:
        raise IdentityConfigError(
            f"{path}: {where}match_probability_threshold is {threshold}; choose a value in [0.5, 1)"
        )
    rules = tuple(
        BlockingRule(
            name=str(_require(path, rule, "name", f"{where}blocking_rules[{i}].")),
            columns=_blocking_columns(path, rule.get("columns"), f"{where}blocking_rules[{i}].columns"),
        )
        for i, rule in enumerate(_list(path, section, "blocking_rules", where))
    )
    em_rules = tuple(
        _blocking_columns(path, rule, f"{where}em_blocking_rules[{i}]")
        for i, rule in enumerate(_list(path, section, "em_blocking_rules", where))
    )
    return ProbabilisticSettings(
        match_probability_threshold=threshold,
        blocking_rules=rules,
        max_block_size=int(_require(path, section, "max_block_size", where)),
        seed=int(_require(path, section, "seed", where)),
        min_accounts_to_train=int(_require(path, section, "min_accounts_to_train", where)),
        u_max_pairs=int(_require(path, section, "u_max_pairs", where)),
        em_max_pairs=int(_require(path, section, "em_max_pairs", where)),
        em_blocking_rules=em_rules,
        model_file=path.parent / str(_require(path, section, "model_file", where)),
        corroborated_by=_corroborating(path, section, where),
    )
