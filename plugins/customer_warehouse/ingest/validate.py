"""Column-wise checks of landed values against a raw contract, with pyarrow compute.

Every input column arrives as strings. Each check builds a boolean mask over a whole
column, so the good path runs no Python code per row. Only the records that break a rule
become Python objects, to be described in ``audit.quarantine``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from customer_warehouse.ingest.contracts import INTEGER_RANGES, NUMERIC_LIMIT, Column, ColumnType, Contract

log = logging.getLogger(__name__)

_INTEGER_PATTERN = r"^[+-]?\d+(\.0*)?$"
_NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_ZONE_PATTERN = r"(Z|z|[+-]\d\d(:?\d\d)?)$"
_NAIVE = pa.timestamp("us")
_AWARE = pa.timestamp("us", tz="UTC")
_FIX = "correct it in the source and land the file again"
# Regular expression of each strptime field a DATE column's format may use.
_DATE_FIELDS = {"%d": r"(?P<day>\d{1,2})", "%m": r"(?P<month>\d{1,2})", "%Y": r"(?P<year>\d{4})"}


@dataclass(frozen=True)
class Problem:
    """One rule that one record broke."""

    index: int
    rule: str
    column: str
    reason: str


@dataclass
class CheckedBatch:
    """Result of checking one batch: the good rows, cleaned, and what was wrong with the rest."""

    good: pa.Table
    good_index: np.ndarray
    problems: list[Problem]


def _as_numpy(mask: pa.Array) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def cast_or_null(values: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast ``values``, setting the elements that fail to parse to null.

    The whole array is cast at once. Only an array that fails is split in halves, so a
    few bad values cost a few dozen extra casts rather than one cast per element.
    """
    try:
        return pc.cast(values, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if len(values) == 1:
            return pa.nulls(1, target)
    middle = len(values) // 2
    return pa.concat_arrays([cast_or_null(values[:middle], target), cast_or_null(values[middle:], target)])


def _parse_timestamps(values: pa.Array, column_type: ColumnType) -> pa.Array:
    if column_type is ColumnType.TIMESTAMP:
        return cast_or_null(values, _NAIVE)
    # A value without a zone is read as UTC, because the platform writes UTC.
    has_zone = _as_numpy(pc.match_substring_regex(values, _ZONE_PATTERN))
    zoned = pc.if_else(pa.array(has_zone), values, pa.scalar(None, pa.string()))
    naive = pc.if_else(pa.array(has_zone), pa.scalar(None, pa.string()), values)
    parsed_naive = pc.cast(cast_or_null(naive, _NAIVE), _AWARE)
    return pc.coalesce(cast_or_null(zoned, _AWARE), parsed_naive)


@dataclass
class _ColumnCheck:
    output: pa.Array
    failures: list[tuple[str, np.ndarray, str]]


def _all_true(mask: pa.Array) -> bool:
    return bool(pc.all(mask).as_py() is not False)


def _check_integer(column: Column, values: pa.Array) -> _ColumnCheck:
    low, high = INTEGER_RANGES[column.type]
    reason = f"is not a whole number within the {column.type.value} range; {_FIX}"
    # Fast path: plain digits only, so the values go to COPY unchanged.
    if _all_true(pc.ascii_is_decimal(values)) and _all_true(pc.less_equal(pc.utf8_length(values), 18)):
        as_int = pc.cast(values, pa.int64())
        out_of_range = _as_numpy(pc.or_(pc.less(as_int, low), pc.greater(as_int, high)))
        return _ColumnCheck(values, [("integer", out_of_range, reason)])
    trimmed = pc.utf8_trim_whitespace(values)
    # Olist writes whole numbers as floats ("57.0"); a zero fraction is accepted and dropped.
    whole = _as_numpy(pc.match_substring_regex(trimmed, _INTEGER_PATTERN))
    cleaned = pc.replace_substring_regex(trimmed, r"\.0*$", "")
    as_float = cast_or_null(pc.if_else(pa.array(whole), cleaned, pa.scalar(None, pa.string())), pa.float64())
    in_range = _as_numpy(
        pc.and_(pc.greater_equal(as_float, float(low)), pc.less_equal(as_float, float(high)))
    )
    bad = _as_numpy(pc.is_valid(values)) & ~(whole & in_range)
    return _ColumnCheck(cleaned, [("integer", bad, reason)])


def _parse_numbers(values: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray | None]:
    """Return the values for COPY, their floats, and a mask of the values that are numbers.

    The mask is None when the whole column parses at once, the usual case; NaN and
    infinity parse too, and the callers' range checks reject them.
    """
    try:
        return values, pc.cast(values, pa.float64()), None
    except pa.ArrowInvalid:
        pass
    trimmed = pc.utf8_trim_whitespace(values)
    numeric = _as_numpy(pc.match_substring_regex(trimmed, _NUMBER_PATTERN))
    as_float = cast_or_null(
        pc.if_else(pa.array(numeric), trimmed, pa.scalar(None, pa.string())), pa.float64()
    )
    return trimmed, as_float, numeric


def _check_number(column: Column, values: pa.Array) -> _ColumnCheck:
    output, as_float, numeric = _parse_numbers(values)
    if column.type is ColumnType.NUMERIC:
        fits = _as_numpy(pc.less(pc.abs(as_float), NUMERIC_LIMIT))
        expected = "a number below 10,000,000,000 with a decimal point, such as 129.90"
    else:
        fits = _as_numpy(pc.is_finite(as_float))
        expected = "a decimal number such as -23.5505"
    if numeric is not None:
        fits &= numeric
    bad = _as_numpy(pc.is_valid(values)) & ~fits
    return _ColumnCheck(output, [("numeric", bad, f"is not {expected}; {_FIX}")])


def _check_timestamp(column: Column, values: pa.Array, future_limit: datetime) -> _ColumnCheck:
    parsed = None
    output = values
    if column.type is ColumnType.TIMESTAMP:
        try:
            # Fast path: every value parses, so the values go to COPY unchanged.
            parsed = pc.cast(values, _NAIVE)
        except pa.ArrowInvalid:
            pass
    if parsed is None:
        output = pc.utf8_trim_whitespace(values)
        parsed = _parse_timestamps(output, column.type)
        if column.type is ColumnType.TIMESTAMPTZ:
            # Zone-less values were read as UTC, so COPY gets the parsed value with its zone.
            output = pc.cast(parsed, pa.string())
    unparsed = _as_numpy(pc.is_valid(values)) & _as_numpy(pc.is_null(parsed))
    expected = "YYYY-MM-DD HH:MM:SS" if column.type is ColumnType.TIMESTAMP else "ISO 8601 with a time zone"
    failures = [("timestamp", unparsed, f"is not a timestamp in the form {expected}; {_FIX}")]
    if column.not_future:
        aware_limit = future_limit if parsed.type.tz is None else future_limit.replace(tzinfo=UTC)
        future = _as_numpy(pc.greater(parsed, pa.scalar(aware_limit, parsed.type)))
        reason = (
            "lies more than one day in the future; check the clock and time zone of the system "
            f"that exported it, then {_FIX}"
        )
        failures.append(("not_future", future, reason))
    return _ColumnCheck(output, failures)


def date_pattern(date_format: str) -> str:
    """Translate a strptime layout of %d, %m and %Y into an anchored regular expression with named groups."""
    parts = re.split(r"(%[dmY])", date_format)
    return "^" + "".join(_DATE_FIELDS.get(part) or re.escape(part) for part in parts) + "$"


def _readable_format(date_format: str) -> str:
    return date_format.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")


def _check_date(column: Column, values: pa.Array, future_limit: datetime) -> _ColumnCheck:
    """Parse dates in the column's own layout; a day that does not exist (30-02-2013) is invalid.

    strptime rolls 30 February over into March, so each parsed date's day, month and year
    are compared with the digits as written.
    """
    trimmed = pc.utf8_trim_whitespace(values)
    parsed = pc.cast(
        pc.strptime(trimmed, format=column.date_format, unit="s", error_is_null=True), pa.date32()
    )
    written = pc.extract_regex(trimmed, date_pattern(column.date_format))
    matches = pc.is_valid(parsed)
    for name, part in (("day", pc.day), ("month", pc.month), ("year", pc.year)):
        if f"(?P<{name}>" in date_pattern(column.date_format):
            digits = pc.cast(pc.struct_field(written, name), pa.int64())
            matches = pc.and_(matches, pc.equal(digits, part(parsed)))
    bad = _as_numpy(pc.is_valid(values)) & ~_as_numpy(matches)
    parsed = pc.if_else(matches, parsed, pa.scalar(None, pa.date32()))
    layout = _readable_format(column.date_format)
    failures = [("date", bad, f"is not a date in the form {layout}; {_FIX}")]
    if column.not_future:
        future = _as_numpy(pc.greater(parsed, pa.scalar(future_limit.date(), pa.date32())))
        failures.append(("not_future", future, f"lies in the future; {_FIX}"))
    return _ColumnCheck(pc.cast(parsed, pa.string()), failures)


def _check_column(column: Column, values: pa.Array, future_limit: datetime) -> _ColumnCheck:
    if column.type in INTEGER_RANGES:
        check = _check_integer(column, values)
    elif column.type in (ColumnType.NUMERIC, ColumnType.DOUBLE):
        check = _check_number(column, values)
    elif column.type in (ColumnType.TIMESTAMP, ColumnType.TIMESTAMPTZ):
        check = _check_timestamp(column, values, future_limit)
    elif column.type is ColumnType.DATE:
        check = _check_date(column, values, future_limit)
    else:
        check = _ColumnCheck(values, [])
    if column.key:
        reason = f"is empty, but it is part of the record key; {_FIX}"
        check.failures.insert(0, ("not_null", _as_numpy(pc.is_null(values)), reason))
    return check


def check_batch(
    contract: Contract, columns: dict[str, pa.Array], num_rows: int, future_limit: datetime
) -> CheckedBatch:
    """Check the string ``columns`` of one batch against ``contract``.

    ``columns`` maps contract column names to string arrays; a column missing from the
    input is absent from the map and loads as nulls. ``future_limit`` is the latest
    timestamp a ``not_future`` column may hold, naive in UTC.
    """
    outputs: dict[str, pa.Array] = {}
    bad = np.zeros(num_rows, dtype=bool)
    problems: list[Problem] = []
    for column in contract.columns:
        values = columns.get(column.name)
        if values is None:
            values = pa.nulls(num_rows, pa.string())
        check = _check_column(column, values, future_limit)
        outputs[column.name] = check.output
        for rule, mask, reason in check.failures:
            if not mask.any():
                continue
            bad |= mask
            problems.extend(_describe(values, column.name, rule, mask, reason))
    good_index = np.flatnonzero(~bad)
    table = pa.table(outputs)
    if len(good_index) < num_rows:
        table = table.take(pa.array(good_index))
    problems.sort(key=lambda p: p.index)
    return CheckedBatch(table, good_index, problems)


def _describe(values: pa.Array, column: str, rule: str, mask: np.ndarray, reason: str) -> list[Problem]:
    index = np.flatnonzero(mask)
    bad_values = values.take(pa.array(index)).to_pylist()
    if rule == "not_null":
        return [Problem(int(i), rule, column, f"{column} {reason}") for i in index]
    return [
        Problem(int(i), rule, column, f"{column} value {_show(value)} {reason}")
        for i, value in zip(index, bad_values, strict=True)
    ]


def _show(value: str | None) -> str:
    if value is None:
        return "(empty)"
    text = value if len(value) <= 80 else value[:77] + "..."
    return repr(text)
