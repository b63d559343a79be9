"""The matching table: one row per account with the comparison and blocking columns Splink reads.

Built in memory from the identity frame and never stored, because its columns are
direct identifiers in folded form. Comparison columns:

| column | content |
|---|---|
| ``unique_id`` | the account's ``customer_key`` |
| ``name_key``, ``name_native``, ``name_tokens``, ``name_han`` | see ``names.py`` |
| ``birth_date`` | ISO date text |
| ``email``, ``email_local`` | canonical email and its local part |
| ``phone`` | E.164 phone |
| ``postcode``, ``city``, ``street`` | folded address parts |

Each blocking rule adds ``blk_<rule>``: its columns joined, None when one is missing or
when more than ``max_block_size`` accounts share the value.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime

import numpy as np
import pandas as pd

from customer_warehouse.identity.frame import FRAME_COLUMNS
from customer_warehouse.identity.names import fold_latin, is_han, name_keys
from customer_warehouse.identity.settings import BlockingRule

log = logging.getLogger(__name__)

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_NOT_WORD = re.compile(r"[\W_]+")


class IdentityFrameError(ValueError):
    """The identity frame breaks its contract (missing column, missing or repeated key)."""


def check_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with every contract column present, or raise ``IdentityFrameError``.

    Columns the frame lacks are added as unknown (None), except ``customer_key``, which
    every row must carry once.
    """
    if "customer_key" not in frame.columns:
        raise IdentityFrameError(
            "identity frame has no customer_key column: build it with the columns of "
            "customer_warehouse.identity.frame.FRAME_COLUMNS"
        )
    missing_key = frame["customer_key"].isna()
    if missing_key.any():
        rows = ", ".join(str(i) for i in frame.index[missing_key][:5])
        raise IdentityFrameError(
            f"identity frame rows {rows} ({int(missing_key.sum())} in all) have no customer_key: "
            "every account needs its pseudonymous key; drop or fix these rows before resolving"
        )
    repeated = frame["customer_key"].duplicated(keep=False)
    if repeated.any():
        sample = frame.loc[repeated, "customer_key"].iloc[0]
        raise IdentityFrameError(
            f"identity frame holds customer_key {sample} (and {int(repeated.sum()) - 1} more rows) "
            "more than once: pass one row per account"
        )
    out = frame.copy()
    for column in FRAME_COLUMNS:
        if column not in out.columns:
            out[column] = None
    return out.reset_index(drop=True)


def _objects(values, index: pd.Index) -> pd.Series:
    """Return ``values`` as an object Series: pandas 3 would infer ``str`` and turn None into NaN."""
    return pd.Series(list(values), index=index, dtype=object)


def _text(series: pd.Series) -> pd.Series:
    """Return the values as stripped text, None for missing or blank ones."""
    present = series.notna().to_numpy()
    return _objects(
        ((str(v).strip() or None) if ok else None for v, ok in zip(series, present, strict=True)),
        series.index,
    )


def _fold(value: str | None, pattern: re.Pattern) -> str | None:
    if value is None:
        return None
    folded = pattern.sub(" ", fold_latin(value)).strip()
    return " ".join(folded.split()) or None


def _iso_date(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def _name_columns(frame: pd.DataFrame) -> pd.DataFrame:
    given, family, full = (_text(frame[c]) for c in ("given_name", "family_name", "full_name"))
    # Cache by the written name: the same name repeats across accounts and persons.
    cache: dict[tuple, tuple[str | None, str | None]] = {}
    keys = []
    for triple in zip(given, family, full, strict=True):
        found = cache.get(triple)
        if found is None:
            found = cache[triple] = name_keys(*triple)
        keys.append(found)
    names = pd.DataFrame(keys, columns=["name_key", "name_native"], dtype=object)
    names["name_tokens"] = _objects((k.split(" ") if k else None for k in names["name_key"]), names.index)
    names["name_han"] = [bool(k) and any(is_han(ch) for ch in k) for k in names["name_native"]]
    return names


def _map_unique(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct value."""
    values = _text(series)
    lookup = {value: func(value) for value in pd.unique(values.dropna())}
    return _objects((lookup.get(v) if v is not None else None for v in values), series.index)


def matching_table(frame: pd.DataFrame, blocking_rules: tuple[BlockingRule, ...], max_block_size: int):
    """Return the matching table of a checked identity frame (same row order)."""
    table = pd.DataFrame({"unique_id": frame["customer_key"].astype(str)})
    table = pd.concat([table, _name_columns(frame)], axis=1)
    table["birth_date"] = _objects(map(_iso_date, frame["birth_date"]), frame.index)
    table["email"] = _text(frame["email_canonical"])
    table["email_local"] = _objects((e.rsplit("@", 1)[0] if e else None for e in table["email"]), frame.index)
    table["phone"] = _text(frame["phone_e164"])
    table["postcode"] = _map_unique(frame["postcode"], lambda v: _NOT_ALNUM.sub("", fold_latin(v)) or None)
    table["city"] = _map_unique(frame["city"], lambda v: _fold(v, _NOT_WORD))
    table["street"] = _map_unique(frame["address_line"], lambda v: _fold(v, _NOT_WORD))
    table["person_ref"] = _text(frame["person_ref"])
    for rule in blocking_rules:
        table[f"blk_{rule.name}"] = blocking_values(table, rule, max_block_size)
    return table


def blocking_values(table: pd.DataFrame, rule: BlockingRule, max_block_size: int | None) -> pd.Series:
    """Return the rule's blocking value per row: its columns joined by '|', None when one is missing.

    Values shared by more than ``max_block_size`` rows become None: such a block would
    generate a quadratic number of pairs for evidence that common.
    """
    columns = [table[column].tolist() for column in rule.columns]
    values = _objects(
        ("|".join(row) if all(v is not None for v in row) else None for row in zip(*columns, strict=True)),
        table.index,
    )
    if max_block_size:
        crowded = values.map(values.value_counts()).fillna(0).to_numpy() > max_block_size
        if crowded.any():
            log.info(
                "blocking rule %s: %s accounts share a value held by more than %s accounts; "
                "they get no candidate pairs from this rule",
                rule.name,
                int(crowded.sum()),
                max_block_size,
            )
            values[crowded] = None
    return values
