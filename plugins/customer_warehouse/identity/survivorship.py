"""Golden records: survivorship rules from ``config/survivorship.yml`` applied per person.

``golden_records`` returns two frames keyed by ``person_key``: the golden identifiers
(direct identifiers, for the encrypted vault only) and the coarse golden attributes
(for ``identity.persons`` in the warehouse).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from customer_warehouse.identity.settings import IdentityConfigError, _frame_column, config_dir, read_yaml

SURVIVORSHIP_FILE = "survivorship.yml"
PICK_RULES = ("most_recent", "earliest", "most_frequent", "most_complete")
AGGREGATES = ("min", "max", "count", "distinct")


@dataclass(frozen=True)
class FieldRule:
    """Take ``columns`` together from the one account that ``rule`` picks among qualifying accounts."""

    name: str
    columns: tuple[str, ...]
    rule: str
    require: tuple[str, ...] = ()
    require_true: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttributeRule:
    """A coarse attribute: taken from a golden identifier, aggregated, or picked by a rule."""

    name: str
    source: str | None = None  # identifier.column
    year_only: bool = False
    aggregate: str | None = None
    column: str | None = None
    pick: FieldRule | None = None


@dataclass(frozen=True)
class Survivorship:
    identifiers: tuple[FieldRule, ...]
    attributes: tuple[AttributeRule, ...]

    @classmethod
    def load(cls, path: Path | None = None) -> Survivorship:
        path = path or config_dir() / SURVIVORSHIP_FILE
        data = read_yaml(path)
        identifiers = tuple(
            _field(path, name, spec, f"identifiers.{name}")
            for name, spec in (data.get("identifiers") or {}).items()
        )
        known = {field.name: field for field in identifiers}
        attributes = tuple(
            _attribute(path, name, spec, known) for name, spec in (data.get("attributes") or {}).items()
        )
        return cls(identifiers=identifiers, attributes=attributes)


def _names(path: Path, spec: dict, key: str, where: str) -> tuple[str, ...]:
    value = spec.get(key) or []
    if not isinstance(value, list):
        raise IdentityConfigError(f"{path}: {where}.{key} must be a list of identity frame columns")
    return tuple(_frame_column(path, column, f"{where}.{key}") for column in value)


def _field(path: Path, name: str, spec: Any, where: str) -> FieldRule:
    if not isinstance(spec, dict):
        raise IdentityConfigError(f"{path}: {where} must be a mapping with columns and rule")
    rule = spec.get("rule")
    if rule not in PICK_RULES:
        raise IdentityConfigError(f"{path}: {where}.rule is {rule!r}; use one of {', '.join(PICK_RULES)}")
    columns = _names(path, spec, "columns", where) or (
        (_frame_column(path, spec.get("column"), f"{where}.column"),) if spec.get("column") else ()
    )
    if not columns:
        raise IdentityConfigError(f"{path}: {where} names no columns")
    return FieldRule(
        name=name,
        columns=columns,
        rule=rule,
        require=_names(path, spec, "require", where),
        require_true=_names(path, spec, "require_true", where),
        exclude=tuple(str(v) for v in spec.get("exclude") or ()),
    )


def _attribute(path: Path, name: str, spec: Any, identifiers: dict[str, FieldRule]) -> AttributeRule:
    where = f"attributes.{name}"
    if not isinstance(spec, dict):
        raise IdentityConfigError(f"{path}: {where} must be a mapping with from, aggregate or rule")
    if "from" in spec:
        parts = str(spec["from"]).split(".")
        year_only = len(parts) == 3 and parts[2] == "year"
        field = identifiers.get(parts[0])
        if (
            len(parts) not in (2, 3)
            or field is None
            or parts[1] not in field.columns
            or (len(parts) == 3 and not year_only)
        ):
            raise IdentityConfigError(
                f"{path}: {where}.from is {spec['from']!r}; write <identifier>.<column> or "
                "<identifier>.<column>.year with an identifier and column listed under identifiers"
            )
        return AttributeRule(name=name, source=f"{parts[0]}.{parts[1]}", year_only=year_only)
    if "aggregate" in spec:
        if spec["aggregate"] not in AGGREGATES:
            raise IdentityConfigError(f"{path}: {where}.aggregate must be one of {', '.join(AGGREGATES)}")
        column = _frame_column(path, spec.get("column"), f"{where}.column")
        return AttributeRule(name=name, aggregate=spec["aggregate"], column=column)
    return AttributeRule(name=name, pick=_field(path, name, spec, where))


def _timestamps(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True, errors="coerce")


def pick(frame: pd.DataFrame, field: FieldRule) -> pd.DataFrame:
    """Return ``field.columns`` from the account the rule picks, one row per person_key with one."""
    qualifies = np.ones(len(frame), dtype=bool)
    for column in field.require or field.columns[:1]:
        qualifies &= frame[column].notna().to_numpy()
    for column in field.require_true:
        qualifies &= frame[column].fillna(False).astype(bool).to_numpy()
    for value in field.exclude:
        qualifies &= (frame[field.columns[0]] != value).to_numpy()
    candidates = frame.loc[
        qualifies, ["person_key", "customer_key", "is_deleted", "created_at", "updated_at", *field.columns]
    ]
    candidates = candidates.loc[:, ~candidates.columns.duplicated()].copy()
    deleted = candidates["is_deleted"].fillna(False).astype(bool)
    has_live = (~deleted).groupby(candidates["person_key"]).transform("any")
    candidates = candidates[~deleted | ~has_live]
    # Most persons have one qualifying account: only the others need ranking.
    several = candidates["person_key"].duplicated(keep=False).to_numpy()
    single = candidates[~several]
    contested = candidates[several].copy()
    contested["_updated"] = _timestamps(contested["updated_at"])
    contested["_created"] = _timestamps(contested["created_at"])
    order, ascending = _order(contested, field)
    ranked = contested.sort_values(
        ["person_key", *order, "customer_key"], ascending=[True, *ascending, True], na_position="last"
    )
    chosen = pd.concat([single, ranked.drop_duplicates("person_key", keep="first")])
    return chosen.set_index("person_key")[list(field.columns)]


def _order(candidates: pd.DataFrame, field: FieldRule) -> tuple[list[str], list[bool]]:
    if field.rule == "earliest":
        return ["_created"], [True]
    if field.rule == "most_frequent":
        by = ["person_key", *field.columns]
        candidates["_count"] = candidates.groupby(by, dropna=False, sort=False)["customer_key"].transform(
            "size"
        )
        return ["_count", "_updated", "_created"], [False, False, False]
    if field.rule == "most_complete":
        candidates["_filled"] = candidates[list(field.columns)].notna().sum(axis=1)
        return ["_filled", "_updated", "_created"], [False, False, False]
    return ["_updated", "_created"], [False, False]


def _aggregate(frame: pd.DataFrame, rule: AttributeRule) -> pd.Series:
    groups = frame.groupby("person_key")[rule.column]
    if rule.aggregate == "count":
        return groups.size()
    if rule.aggregate == "distinct":
        return _distinct(frame, rule.column)
    values = _timestamps(frame[rule.column]) if rule.column.endswith("_at") else frame[rule.column]
    grouped = values.groupby(frame["person_key"])
    return grouped.min() if rule.aggregate == "min" else grouped.max()


def _distinct(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return the sorted distinct values of ``column`` per person, as lists."""
    values = frame[["person_key", column]].dropna().astype({column: str}).drop_duplicates()
    several = values["person_key"].duplicated(keep=False).to_numpy()
    single = values[~several]
    lists = pd.Series([[v] for v in single[column]], index=single["person_key"].to_numpy(), dtype=object)
    shared = values[several].sort_values(["person_key", column]).groupby("person_key")[column].agg(list)
    return pd.concat([lists, shared])


def golden_records(frame: pd.DataFrame, rules: Survivorship) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (golden identifiers, golden attributes) of every person in ``frame``.

    ``frame`` is an identity frame with a ``person_key`` column. Both results are indexed
    by person_key and hold every person, with None where no account qualifies.
    """
    # Rank and align on integer codes: indexes of long text keys are several times slower.
    codes, keys = pd.factorize(frame["person_key"])
    frame = frame.assign(person_key=codes)
    persons = pd.RangeIndex(len(keys), name="person_key")
    picked = {field.name: pick(frame, field).reindex(persons) for field in rules.identifiers}
    identifiers = pd.concat(list(picked.values()), axis=1) if picked else pd.DataFrame(index=persons)
    identifiers = identifiers.loc[:, ~identifiers.columns.duplicated()]
    attributes = pd.DataFrame(index=persons)
    for rule in rules.attributes:
        if rule.source:
            field, column = rule.source.split(".")
            values = picked[field][column]
            attributes[rule.name] = _years(values) if rule.year_only else values
        elif rule.aggregate:
            attributes[rule.name] = _aggregate(frame, rule).reindex(persons)
        else:
            attributes[rule.name] = pick(frame, rule.pick)[rule.pick.columns[0]].reindex(persons)
    identifiers = identifiers.astype(object).where(identifiers.notna(), None)
    identifiers.index = attributes.index = pd.Index(keys, name="person_key")
    return identifiers, attributes


def _years(values: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(values.astype(object), errors="coerce")
    return stamps.dt.year.astype("Int64")
