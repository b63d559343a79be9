"""Load one clickstream JSON-lines file into ``raw.shop_events``.

Each line is one event object. Lines are decoded with ``json.loads`` one by one, because
a bad line must be quarantined on its own and ``properties`` must keep its JSON as
written; the decoded values are then checked column-wise like CSV values. The record
number of an event is its line number; blank lines are ignored.

The device id, IP and anonymous id of an event are direct identifiers: the loader
replaces each with its pseudonymous key (``device_key``, ``ip_key``, ``anonymous_key``)
before the rows reach PostgreSQL, and keeps no plain copy anywhere.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from customer_warehouse.ingest.batches import BatchResult, QuarantineRow
from customer_warehouse.ingest.contracts import EVENTS_CONTRACT, ColumnType
from customer_warehouse.ingest.copy_stream import copy_from_producer
from customer_warehouse.ingest.csv_load import LINEAGE_COLUMNS
from customer_warehouse.ingest.validate import check_batch
from customer_warehouse.pii.keys import Pseudonymizer

log = logging.getLogger(__name__)

CHUNK_LINES = 50_000
_FIX = "fix the event writer or the file and land it again"
# Identifier fields of an event and the key column that replaces each in raw.shop_events.
EVENT_IDENTIFIER_KEYS = {
    "device_id": ("device", "device_key"),
    "ip": ("ip", "ip_key"),
    "anonymous_id": ("anonymous", "anonymous_key"),
}
_COLUMNS = tuple(
    EVENT_IDENTIFIER_KEYS[c.name][1] if c.name in EVENT_IDENTIFIER_KEYS else c.name
    for c in EVENTS_CONTRACT.columns
)
_EXTRA_KEY = "_extra"


@dataclass
class EventCounts:
    read: int = 0
    loaded: int = 0
    quarantine: list[QuarantineRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unknown_keys: set[str] = field(default_factory=set)
    # Events of accounts erased on request: dropped, and not counted as read.
    erased: int = 0


def _as_text(value: Any, column_type: ColumnType) -> str | None:
    if value is None:
        return None
    if column_type is ColumnType.JSON or isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text_column(values: list[Any], column_type: ColumnType) -> pa.Array:
    """Convert one column of decoded JSON values to strings, in C where the values share a type."""
    if column_type is ColumnType.JSON:
        return pa.array(
            [None if v is None else json.dumps(v, ensure_ascii=False) for v in values], pa.string()
        )
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        array = None
    simple = array is not None and (
        pa.types.is_string(array.type)
        or pa.types.is_null(array.type)
        or pa.types.is_integer(array.type)
        or pa.types.is_floating(array.type)
        or pa.types.is_boolean(array.type)
    )
    if simple:
        return pc.cast(array, pa.string())
    return pa.array([_as_text(value, column_type) for value in values], pa.string())


class EventFileLoad:
    """Loading of one events file in one open transaction."""

    def __init__(self, result: BatchResult, future_limit: datetime) -> None:
        self.result = result
        self.future_limit = future_limit
        self.types = {column.name: column.type for column in EVENTS_CONTRACT.columns}
        self.keys = Pseudonymizer.from_env()
        # Sessions repeat the same device and IP, so most keys come from here.
        self.known_keys: dict[tuple[str, str], str] = {}
        # Accounts erased on request, read from the warehouse when the load starts.
        self.erased_keys: frozenset[str] = frozenset()

    def load(self, cur, path: Path) -> EventCounts:
        cur.execute("select customer_key from audit.erasure_suppressions where source = 'shop'")
        self.erased_keys = frozenset(row[0] for row in cur.fetchall())
        columns = ", ".join(_COLUMNS + LINEAGE_COLUMNS)
        sql = f"copy {EVENTS_CONTRACT.table} ({columns}) from stdin with (format csv)"
        counts = copy_from_producer(cur, sql, lambda emit: self._produce(path, emit))
        if counts.erased:
            note = f"{counts.erased:,} events of accounts erased on request were dropped"
            counts.warnings.append(note)
            log.info("%s: %s (batch %s)", self.result.source_object, note, self.result.batch_id)
        if counts.unknown_keys:
            keys = ", ".join(sorted(counts.unknown_keys))
            note = f"keys unknown to {EVENTS_CONTRACT.table} kept in properties._extra: {keys}"
            counts.warnings.append(note)
            log.warning("%s: %s (batch %s)", self.result.source_object, note, self.result.batch_id)
        return counts

    def _produce(self, path: Path, emit: Callable[[bytes], None]) -> EventCounts:
        counts = EventCounts()
        for numbers, events in self._chunks(path, counts):
            counts.read += len(events)
            if events:
                self._load_chunk(numbers, events, counts, emit)
        return counts

    def _chunks(self, path: Path, counts: EventCounts) -> Iterator[tuple[list[int], list[dict]]]:
        numbers: list[int] = []
        events: list[dict] = []
        with path.open("r", encoding="utf-8-sig", newline="") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                event = self._decode(number, line, counts)
                if event is not None:
                    numbers.append(number)
                    events.append(event)
                if len(events) >= CHUNK_LINES:
                    yield numbers, events
                    numbers, events = [], []
        yield numbers, events

    # NOTE: json.loads per line is the main cost of this loader, about 40,000 lines/s measured on
    # a busy 2-core machine; reading clean chunks with pyarrow.json first would be faster.
    def _decode(self, number: int, line: str, counts: EventCounts) -> dict | None:
        try:
            event = json.loads(line)
        except json.JSONDecodeError as error:
            problem = f"line is not valid JSON ({error.msg} at column {error.colno})"
        else:
            if isinstance(event, dict):
                return event
            problem = f"line is JSON but not an object (found {type(event).__name__})"
        counts.read += 1
        reason = f"{problem}; {_FIX}"
        counts.quarantine.append(
            QuarantineRow(number, None, "json", None, reason, {"_line": line.rstrip("\r\n")})
        )
        return None

    def _columns(self, events: list[dict], counts: EventCounts) -> dict[str, pa.Array]:
        for event in events:
            unknown = event.keys() - self.types.keys()
            if unknown:
                counts.unknown_keys |= unknown
                properties = event.get("properties")
                merged = dict(properties) if isinstance(properties, dict) else {"value": properties}
                merged[_EXTRA_KEY] = {key: event[key] for key in unknown}
                event["properties"] = merged
        return {
            name: _text_column([event.get(name) for event in events], kind)
            for name, kind in self.types.items()
        }

    def _load_chunk(self, numbers: list[int], events: list[dict], counts: EventCounts, emit) -> None:
        checked = check_batch(EVENTS_CONTRACT, self._columns(events, counts), len(events), self.future_limit)
        counts.loaded += len(checked.good_index)
        for index, problems in _group(checked.problems).items():
            first = problems[0]
            reason = "; also ".join([first.reason, *(f"rule {p.rule}: {p.reason}" for p in problems[1:])])
            event = events[index]
            row = QuarantineRow(
                numbers[index], str(event.get("event_id")), first.rule, first.column, reason, event
            )
            counts.quarantine.append(row)
        if len(checked.good_index) == 0:
            return
        source_rows = np.asarray(numbers)[checked.good_index]
        table, source_rows = self._drop_erased(checked.good, source_rows, counts)
        if table.num_rows == 0:
            return
        table = self._pseudonymize(table)
        count = table.num_rows
        result = self.result
        for name, value in zip(
            LINEAGE_COLUMNS[:3], (result.batch_id, result.source, result.source_object), strict=True
        ):
            table = table.append_column(name, pa.repeat(pa.scalar(value, pa.string()), count))
        table = table.append_column("_source_row", pa.array(source_rows))
        sink = pa.BufferOutputStream()
        pa_csv.write_csv(table, sink, write_options=pa_csv.WriteOptions(include_header=False))
        emit(sink.getvalue().to_pybytes())

    def _drop_erased(
        self, table: pa.Table, source_rows: np.ndarray, counts: EventCounts
    ) -> tuple[pa.Table, np.ndarray]:
        """Remove the events of accounts erased on request, leaving no trace of them."""
        if not self.erased_keys:
            return table, source_rows
        ids = table.column("customer_id").to_pylist()
        erased = np.array(
            [cid is not None and self.keys.customer_key("shop", cid) in self.erased_keys for cid in ids],
            dtype=bool,
        )
        dropped = int(erased.sum())
        if dropped:
            counts.erased += dropped
            counts.read -= dropped
            counts.loaded -= dropped
            table = table.filter(pa.array(~erased))
            source_rows = source_rows[~erased]
        return table, source_rows

    def _pseudonymize(self, table: pa.Table) -> pa.Table:
        """Replace the identifier columns of checked rows by their keys, in place of the same position."""
        for name, (namespace, key_column) in EVENT_IDENTIFIER_KEYS.items():
            position = table.schema.get_field_index(name)
            keys = [self._key(namespace, value) for value in table.column(name).to_pylist()]
            table = table.set_column(position, key_column, pa.array(keys, pa.string()))
        return table

    def _key(self, namespace: str, value: str | None) -> str | None:
        value = value.strip() if value else None
        if not value:
            return None
        known = self.known_keys.get((namespace, value))
        if known is None:
            if len(self.known_keys) > 1_000_000:
                self.known_keys.clear()
            known = self.known_keys[(namespace, value)] = self.keys.key(namespace, value)
        return known


def _group(problems: list) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for problem in problems:
        grouped.setdefault(problem.index, []).append(problem)
    return grouped
