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

import hashlib
import logging
from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from customer_warehouse.identity.frame import FRAME_COLUMNS
from customer_warehouse.identity.names import has_han, keys_of_tokens, name_tokens, part_tokens
from customer_warehouse.identity.settings import BlockingRule, DeterministicRule
from customer_warehouse.pii.keys import Pseudonymizer

log = logging.getLogger(__name__)


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


def _text(series: pd.Series) -> np.ndarray:
    """Return the values as stripped text in an object array, None for missing or blank ones."""
    return _per_value(series.to_numpy(dtype=object, na_value=None), lambda v: str(v).strip() or None)


def _per_value(values: np.ndarray, func) -> np.ndarray:
    """Apply ``func`` once per distinct non-missing value; missing values map to None."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(value) for value in uniques]
    mapped[-1] = None
    return mapped[codes]


# Address parts are folded in DuckDB: there are about as many distinct streets as
# accounts, and a vectorized fold is ten times faster than one Python call per value.
_FOLD = "lower(strip_accents(replace({0}, 'ß', 'ss')))"
_ADDRESS_SQL = f"""
select
    nullif(regexp_replace({_FOLD.format("postcode")}, '[^\\pL\\pN]+', '', 'g'), '') as postcode,
    nullif(trim(regexp_replace({_FOLD.format("city")}, '[^\\pL\\pN]+', ' ', 'g')), '') as city,
    nullif(trim(regexp_replace({_FOLD.format("street")}, '[^\\pL\\pN]+', ' ', 'g')), '') as street
from address
"""


def _address_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    address = pd.DataFrame(
        {
            "postcode": pd.Series(_text(frame["postcode"]), dtype=object),
            "city": pd.Series(_text(frame["city"]), dtype=object),
            "street": pd.Series(_text(frame["address_line"]), dtype=object),
        }
    ).astype({"postcode": "str", "city": "str", "street": "str"})
    with duckdb.connect() as connection:
        connection.register("address", address)
        folded = connection.execute(_ADDRESS_SQL).fetch_df()
    return {
        name: folded[name].to_numpy(dtype=object, na_value=None) for name in ("postcode", "city", "street")
    }


def _iso_date(value: object) -> str | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
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


def _codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (codes, distinct values) with missing values coded as the last position."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes), uniques


def _name_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    # Names repeat across accounts and persons: transliterate each distinct part once,
    # then combine the parts of each distinct (given, family) pair once.
    given, given_names = _codes(_text(frame["given_name"]))
    family, family_names = _codes(_text(frame["family_name"]))
    full, full_names = _codes(_text(frame["full_name"]))
    given_tokens = [part_tokens(v) for v in given_names] + [()]
    family_tokens = [part_tokens(v, family=True) for v in family_names] + [()]
    without_parts = (
        np.array([not t for t in given_tokens])[given] & np.array([not t for t in family_tokens])[family]
    )
    # One code per row: the (given, family) pair, or (negative) the full name when the
    # parts hold no letters, which is when name_tokens falls back to the full name.
    pair = given.astype(np.int64) * (len(family_names) + 1) + family
    combined = np.where(without_parts, -1 - full.astype(np.int64), pair)
    codes, uniques = pd.factorize(combined)
    full_names = [*full_names, None]
    keys = [
        keys_of_tokens(
            name_tokens(None, None, full_names[-1 - code])
            if code < 0
            else given_tokens[code // (len(family_names) + 1)] + family_tokens[code % (len(family_names) + 1)]
        )
        for code in uniques.tolist()
    ]
    name_key = np.array([k[0] for k in keys] + [None], dtype=object)[codes]
    native = np.array([k[1] for k in keys] + [None], dtype=object)[codes]
    return {
        "name_key": name_key,
        "name_native": native,
        "name_tokens": _per_value(name_key, lambda k: k.split(" ")),
        "name_han": _per_value(native, has_han).astype(bool),
    }


def matching_table(frame: pd.DataFrame, blocking_rules: tuple[BlockingRule, ...], max_block_size: int | None):
    """Return the matching table of a checked identity frame (same row order)."""
    columns: dict[str, np.ndarray] = {"unique_id": frame["customer_key"].astype(str).to_numpy(dtype=object)}
    columns.update(_name_columns(frame))
    columns["birth_date"] = _per_value(frame["birth_date"].to_numpy(dtype=object, na_value=None), _iso_date)
    email = _text(frame["email_canonical"])
    columns["email"] = email
    columns["email_local"] = _per_value(email, lambda e: e.rsplit("@", 1)[0])
    columns["phone"] = _text(frame["phone_e164"])
    columns.update(_address_columns(frame))
    columns["person_ref"] = _text(frame["person_ref"])
    table = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in columns.items()})
    table["name_han"] = table["name_han"].astype(bool)
    for rule in blocking_rules:
        table[f"blk_{rule.name}"] = blocking_values(table, rule, max_block_size)
    return table


def _joined(table: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """Return the columns joined by '|' per row, None where one of them is missing."""
    if len(columns) == 1:
        return table[columns[0]].to_numpy(dtype=object).copy()
    # Arrow joins in C++ and yields null when any part is null.
    parts = [pa.array(table[column].to_numpy(dtype=object), type=pa.string()) for column in columns]
    return pc.binary_join_element_wise(*parts, "|").to_numpy(zero_copy_only=False)


def blocking_values(table: pd.DataFrame, rule: BlockingRule, max_block_size: int | None) -> pd.Series:
    """Return the rule's blocking value per row: its columns joined by '|', None when one is missing.

    Values shared by more than ``max_block_size`` rows become None: such a block would
    generate a quadratic number of pairs for evidence that common.
    """
    values = _joined(table, rule.columns)
    if max_block_size:
        codes, _ = pd.factorize(values, use_na_sentinel=True)
        sizes = np.bincount(codes[codes >= 0]) if (codes >= 0).any() else np.zeros(0, dtype=int)
        crowded = (codes >= 0) & (sizes[np.maximum(codes, 0)] > max_block_size if len(sizes) else False)
        if crowded.any():
            log.info(
                "blocking rule %s: %s accounts share a value held by more than %s accounts; "
                "they get no candidate pairs from this rule",
                rule.name,
                int(crowded.sum()),
                max_block_size,
            )
            values[crowded] = None
    return pd.Series(values, index=table.index, dtype=object)


# Frame columns of deterministic rules and the matching-table columns holding their values.
_RULE_KEY_COLUMNS = {"email_canonical": "email", "phone_e164": "phone", "person_ref": "person_ref"}


def index_columns(
    blocking_rules: tuple[BlockingRule, ...], deterministic_rules: tuple[DeterministicRule, ...]
) -> list[tuple[str, ...]]:
    """Return the column sets whose values an incremental run looks up among stored accounts."""
    sets = [rule.columns for rule in blocking_rules]
    for rule in deterministic_rules:
        column = _RULE_KEY_COLUMNS.get(rule.key)
        if column and (column,) not in sets:
            sets.append((column,))
    return sets


def blocking_hashes(
    table: pd.DataFrame, column_sets: list[tuple[str, ...]], keys: Pseudonymizer
) -> np.ndarray:
    """Return keyed 64-bit hashes of each row's blocking values, one column per set, 0 when missing.

    The hash is BLAKE2b keyed by a secret derived from the pseudonymization key. The
    warehouse stores these instead of the values: they only tell which stored accounts
    share a value with a new one, and cannot be reversed without the secret.
    """
    secret = bytes.fromhex(keys.digest("identity:blocking-index"))
    # Keying BLAKE2b costs a compression of its own: key once, copy the keyed state per value.
    keyed = hashlib.blake2b(digest_size=8, key=secret)
    hashes = np.zeros((len(table), len(column_sets)), dtype=np.int64)
    for position, columns in enumerate(column_sets):
        prefix = ("+".join(columns) + ":").encode()
        codes, uniques = pd.factorize(_joined(table, columns), use_na_sentinel=True)
        digests = []
        for value in uniques.tolist():
            state = keyed.copy()
            state.update(prefix + value.encode())
            digests.append(state.digest())
        values = np.frombuffer(b"".join(digests), dtype=">i8").astype(np.int64)
        # 0 stands for a missing value: a value hashing to 0 takes 1 instead.
        values = np.append(np.where(values == 0, 1, values), 0)
        hashes[:, position] = values[codes]
    return hashes


def pg_bigint_arrays(hashes: np.ndarray) -> np.ndarray:
    """Return each row of ``hashes`` as PostgreSQL array text without the zeros: '{12,-7}'."""
    if hashes.shape[1] == 0:
        return np.full(len(hashes), "{}", dtype=object)
    # Arrow builds the text in C++: each nonzero hash with its comma, zeros as empty text.
    # (Joining with null_handling="skip" drops rows whose values are all null in pyarrow 26.)
    parts = [
        pc.fill_null(
            pc.binary_join_element_wise(pc.cast(pa.array(column, mask=column == 0), pa.string()), ",", ""), ""
        )
        for column in np.ascontiguousarray(hashes.T)
    ]
    joined = pc.utf8_rtrim(pc.binary_join_element_wise(*parts, ""), characters=",")
    return pc.binary_join_element_wise("{", joined, "}", "").to_numpy(zero_copy_only=False)
