"""Load one Olist-layout CSV file into its raw table: stream, check column-wise, COPY.

pyarrow's streaming CSV reader parses the file in blocks, with every column as a string.
``validate.check_batch`` checks each block. The good rows are written back as CSV and
copied into PostgreSQL while the next block is parsed. Records with the wrong number of
fields never reach a block: the reader hands them to ``_RecordNumbers``. Of the lineage
columns only ``_source_row`` travels with each row: batch id, source and file path are
column defaults for the length of the load (``copy_stream.constant_defaults``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from customer_warehouse.ingest.batches import BatchResult, QuarantineRow
from customer_warehouse.ingest.contracts import Contract
from customer_warehouse.ingest.copy_stream import constant_defaults, copy_from_producer
from customer_warehouse.ingest.files import Header
from customer_warehouse.ingest.validate import CheckedBatch, check_batch

log = logging.getLogger(__name__)

# CSV bytes per parsed block; each block is checked, serialized and sent to COPY as one chunk.
BLOCK_BYTES = 4 << 20
LINEAGE_COLUMNS = ("_batch_id", "_source", "_source_object", "_source_row")
_FIX = "fix the export and land the file again"


@dataclass(frozen=True)
class ColumnPlan:
    """Mapping of the file's header columns onto the contract's columns."""

    positions: dict[str, int]
    extras: tuple[tuple[int, str], ...]
    missing_required: tuple[str, ...]
    missing_optional: tuple[str, ...]

    def warnings(self, table: str) -> list[str]:
        notes = []
        if self.missing_optional:
            notes.append(f"optional columns missing, loaded as null: {', '.join(self.missing_optional)}")
        if self.extras:
            names = ", ".join(name for _, name in self.extras)
            notes.append(f"columns unknown to {table} kept in _extra: {names}")
        return notes


def plan_columns(contract: Contract, header: Header) -> ColumnPlan:
    """Match header names to contract columns, ignoring case; later duplicates count as extras."""
    positions: dict[str, int] = {}
    extras: list[tuple[int, str]] = []
    known = {column.name for column in contract.columns}
    for index, name in enumerate(header.names):
        lowered = name.lower()
        if lowered in known and lowered not in positions:
            positions[lowered] = index
        else:
            extras.append((index, name or f"column_{index + 1}"))
    required = set(contract.required_columns)
    missing = [column.name for column in contract.columns if column.name not in positions]
    return ColumnPlan(
        positions,
        tuple(extras),
        tuple(name for name in missing if name in required),
        tuple(name for name in missing if name not in required),
    )


class _RecordNumbers:
    """Maps parsed rows to 1-based record numbers, around the records the parser skipped.

    The invalid-row handler runs in parse order, before the block holding those records
    is returned, so when a block arrives every skipped record before it is known.
    """

    def __init__(self, expected_fields: int) -> None:
        self.expected_fields = expected_fields
        self.skipped: list[tuple[int, str, int]] = []
        self.parsed = 0

    def handle(self, row: pa_csv.InvalidRow) -> str:
        # The parser counts the header as row 1, so its row number is the record number + 1.
        self.skipped.append((row.number - 1, row.text, row.actual_columns))
        return "skip"

    def next_block(self, count: int) -> np.ndarray:
        skipped = np.fromiter((number for number, _, _ in list(self.skipped)), dtype=np.int64)
        parsed_before = skipped - np.arange(1, len(skipped) + 1)
        ordinals = np.arange(self.parsed + 1, self.parsed + count + 1, dtype=np.int64)
        self.parsed += count
        return ordinals + np.searchsorted(parsed_before, ordinals, side="left")

    def quarantine_rows(self) -> list[QuarantineRow]:
        return [
            QuarantineRow(
                number,
                None,
                "field_count",
                None,
                f"record has {fields} fields but the header has {self.expected_fields}; check it for an "
                f"unquoted delimiter, quote or line break, then {_FIX}",
                {"_line": text},
            )
            for number, text, fields in self.skipped
        ]


def open_reader(
    path: Path, header: Header, numbers: _RecordNumbers, has_quotes: bool
) -> pa_csv.CSVStreamingReader:
    """Open a streaming reader that returns every column as strings and empty fields as null.

    Without quotes in the file no value can hold a line break, so the faster parser mode
    that ignores quoted line breaks is safe. One thread keeps the parser's row numbers.
    """
    names = [f"c{index}" for index in range(len(header.names))]
    return pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(
            use_threads=False, block_size=BLOCK_BYTES, skip_rows=1, column_names=names
        ),
        parse_options=pa_csv.ParseOptions(
            delimiter=header.delimiter, newlines_in_values=has_quotes, invalid_row_handler=numbers.handle
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            # The file is valid UTF-8 by now: inspect_file checked it, or utf8_copy wrote it.
            check_utf8=False,
        ),
    )


@dataclass
class _Counts:
    parsed: int = 0
    loaded: int = 0
    quarantine: list[QuarantineRow] = field(default_factory=list)


def _json_string(values: pa.Array) -> pa.Array:
    escaped = values
    for old, new in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = pc.replace_substring(escaped, old, new)
    # NOTE: other control characters are dropped: JSON needs them escaped and jsonb rejects NUL.
    escaped = pc.replace_substring_regex(escaped, r"[\x00-\x1f]", "")
    quoted = pc.binary_join_element_wise('"', escaped, '"', "")
    return pc.coalesce(quoted, "null")


def extra_json(batch: pa.RecordBatch, extras: tuple[tuple[int, str], ...]) -> pa.Array:
    """Build the ``_extra`` jsonb text of every row from the columns the contract does not know."""
    parts = [
        pc.binary_join_element_wise(json.dumps(name) + ": ", _json_string(batch.column(i)), "")
        for i, name in extras
    ]
    body = pc.binary_join_element_wise(*parts, ", ") if len(parts) > 1 else parts[0]
    return pc.binary_join_element_wise("{", body, "}", "")


class CsvFileLoad:
    """Loading of one CSV file in one open transaction of ``cur``."""

    def __init__(
        self,
        contract: Contract,
        header: Header,
        result: BatchResult,
        future_limit: datetime,
        has_quotes: bool,
    ) -> None:
        self.contract = contract
        self.header = header
        self.result = result
        self.future_limit = future_limit
        self.has_quotes = has_quotes
        self.plan = plan_columns(contract, header)
        self.numbers = _RecordNumbers(len(header.names))
        # Lineage columns with the same value in every row that the COPY input carries; load()
        # empties this when column defaults fill them instead.
        self.lineage = dict(
            zip(LINEAGE_COLUMNS[:3], (result.batch_id, result.source, result.source_object), strict=True)
        )
        self.quoting = "needed" if self._needs_quotes() else "none"

    def _needs_quotes(self) -> bool:
        """Tell whether any value written to COPY may contain a comma, quote or line break.

        A comma-separated file without a single quote character cannot hold such a value,
        and leaving out the quotes makes the COPY input smaller and faster to write and parse.
        """
        unsafe_constant = any(char in value for value in self.lineage.values() for char in ',"\r\n')
        return self.has_quotes or self.header.delimiter != "," or bool(self.plan.extras) or unsafe_constant

    @property
    def copy_sql(self) -> str:
        columns = [column.name for column in self.contract.columns]
        if self.plan.extras:
            columns.append("_extra")
        columns.extend(self.lineage)
        columns.append("_source_row")
        return f"copy {self.contract.table} ({', '.join(columns)}) from stdin with (format csv)"

    def load(self, cur, path: Path) -> _Counts:
        """COPY the file's good rows; return counts and the rows to quarantine."""
        reader = open_reader(path, self.header, self.numbers, self.has_quotes)
        with constant_defaults(cur, self.contract.table, self.lineage) as filled_by_server:
            if filled_by_server:
                self.lineage = {}
                self.quoting = "needed" if self._needs_quotes() else "none"
            counts = copy_from_producer(cur, self.copy_sql, lambda emit: self._produce(reader, emit))
        counts.quarantine.extend(self.numbers.quarantine_rows())
        counts.quarantine.sort(key=lambda row: row.source_row or 0)
        return counts

    def reject_all(self, path: Path) -> _Counts:
        """Quarantine every record of a file that lacks a required column."""
        counts = _Counts()
        missing = ", ".join(self.plan.missing_required)
        reason = (
            f"the file has no column {missing}, which {self.contract.table} requires (header: "
            f"{self.header.delimiter.join(self.header.names)}); add the column to the export and land "
            "the file again"
        )
        for batch in open_reader(path, self.header, self.numbers, self.has_quotes):
            numbers = self.numbers.next_block(batch.num_rows)
            counts.parsed += batch.num_rows
            for number, record in zip(numbers, self._records(batch, np.arange(batch.num_rows)), strict=True):
                row = QuarantineRow(
                    int(number), None, "required_column", self.plan.missing_required[0], reason, record
                )
                counts.quarantine.append(row)
        counts.quarantine.extend(self.numbers.quarantine_rows())
        counts.quarantine.sort(key=lambda row: row.source_row or 0)
        return counts

    def _produce(self, reader: pa_csv.CSVStreamingReader, emit) -> _Counts:
        counts = _Counts()
        for batch in reader:
            numbers = self.numbers.next_block(batch.num_rows)
            columns = {name: batch.column(index) for name, index in self.plan.positions.items()}
            checked = check_batch(self.contract, columns, batch.num_rows, self.future_limit)
            counts.parsed += batch.num_rows
            counts.loaded += len(checked.good_index)
            if checked.problems:
                counts.quarantine.extend(self._quarantine_rows(batch, checked, numbers))
            if len(checked.good_index):
                emit(self._serialize(batch, checked, numbers))
        return counts

    def _serialize(self, batch: pa.RecordBatch, checked: CheckedBatch, numbers: np.ndarray) -> bytes:
        table = checked.good
        count = table.num_rows
        good = pa.array(checked.good_index) if count < batch.num_rows else None
        if self.plan.extras:
            extra = extra_json(batch, self.plan.extras)
            table = table.append_column("_extra", extra.take(good) if good is not None else extra)
        for name, value in self.lineage.items():
            table = table.append_column(name, pa.repeat(pa.scalar(value, pa.string()), count))
        table = table.append_column("_source_row", pa.array(numbers[checked.good_index]))
        sink = pa.BufferOutputStream()
        # With quoting "none" (see _needs_quotes) a null and an empty string both become an
        # empty field, which COPY reads as null. The reader already reads empty fields as null.
        pa_csv.write_csv(
            table, sink, write_options=pa_csv.WriteOptions(include_header=False, quoting_style=self.quoting)
        )
        return sink.getvalue().to_pybytes()

    def _records(self, batch: pa.RecordBatch, index: np.ndarray) -> list[dict[str, str | None]]:
        rows = batch.take(pa.array(index)).to_pylist()
        names = [name or f"column_{position + 1}" for position, name in enumerate(self.header.names)]
        return [dict(zip(names, row.values(), strict=True)) for row in rows]

    def _quarantine_rows(
        self, batch: pa.RecordBatch, checked: CheckedBatch, numbers: np.ndarray
    ) -> list[QuarantineRow]:
        by_index: dict[int, list] = {}
        for problem in checked.problems:
            by_index.setdefault(problem.index, []).append(problem)
        index = np.fromiter(by_index, dtype=np.int64)
        records = self._records(batch, index)
        keys = self.contract.key_columns
        rows = []
        for position, record in zip(index, records, strict=True):
            problems = by_index[int(position)]
            first = problems[0]
            reason = first.reason
            if len(problems) > 1:
                others = "; ".join(f"rule {p.rule}: {p.reason}" for p in problems[1:])
                reason = f"{reason}; also {others}"
            record_key = "|".join(str(record.get(self._header_name(k)) or "") for k in keys)
            rows.append(
                QuarantineRow(int(numbers[position]), record_key, first.rule, first.column, reason, record)
            )
        return rows

    def _header_name(self, column: str) -> str:
        position = self.plan.positions.get(column)
        return self.header.names[position] if position is not None else column
