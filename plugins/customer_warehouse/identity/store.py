"""Reads and writes of the ``identity`` schema (DDL: ``sql/010_identity.sql``).

Every write of a run goes through one psycopg2 connection and commits once, so a failed
run leaves the previous state whole. Bulk rows go in with ``COPY``. ``RunTransaction``
lets the caller compute the persons while that connection loads everything else.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

BRIDGE_COLUMNS = [
    "customer_key",
    "source",
    "person_key",
    "link_rule",
    "link_probability",
    "linked_to_customer_key",
    "blocking_keys",
    "updated_run_id",
]
EDGE_COLUMNS = ["customer_key_l", "customer_key_r", "rule", "match_probability", "run_id"]
EVENT_COLUMNS = ["run_id", "event", "person_key", "other_person_key", "account_count", "reason"]
# Memory for the index builds of a full run: the key index of 1M accounts sorts about
# 4.7 million blocking keys, which spill to disk with PostgreSQL's default 64MB. Applies
# to the run's transaction only.
INDEX_BUILD_MEMORY = "512MB"
COPY_CHUNK_BYTES = 4 * 1024 * 1024


class IdentityStoreError(RuntimeError):
    """The identity schema cannot hold what a run produced (for example an unknown attribute)."""


def _pg_array(values: Any) -> str | None:
    if values is None or (not isinstance(values, list | tuple) and pd.isna(values)):
        return None
    return "{" + ",".join(str(v).replace('"', "") for v in values) + "}"


def _arrow_column(values: pd.Series) -> pa.Array:
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        # Through Python objects: Arrow's CSV writer has written zeros for text columns
        # that share their buffers with pandas' Arrow-backed strings.
        values = values.to_numpy(dtype=object, na_value=None)
    try:
        return pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed types in one object column: write each value's text.
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _copy(cursor, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """COPY ``frame[columns]`` into ``table`` as CSV, with None and NaN as NULL.

    Arrow writes the CSV, several times faster than pandas. It quotes text and writes
    NULL as an unquoted empty field, which is what PostgreSQL's CSV format reads as NULL.
    """
    if frame.empty:
        return
    data = pa.table({column: _arrow_column(frame[column]) for column in columns})
    output = pa.BufferOutputStream()
    pa_csv.write_csv(data, output, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    buffer = io.BytesIO(output.getvalue().to_pybytes())
    # psycopg2 reads 8 KB per call by default and needs the GIL for each read: while
    # another thread runs Python code, every call can wait a whole switch interval.
    cursor.copy_expert(
        f"copy {table} ({', '.join(columns)}) from stdin with (format csv)", buffer, size=COPY_CHUNK_BYTES
    )


def _query_frame(engine: Engine, sql: str, params: Iterable[Any] | None = None) -> pd.DataFrame:
    connection = engine.raw_connection()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            names = [column.name for column in cursor.description]
    finally:
        connection.close()
    return pd.DataFrame(rows, columns=names)


def has_state(engine: Engine) -> bool:
    frame = _query_frame(engine, "select exists (select 1 from identity.person_accounts) as present")
    return bool(frame["present"].iloc[0])


def load_bridge(engine: Engine, customer_keys: Iterable[str] | None = None) -> pd.Series:
    """Return the stored person key per customer_key: all accounts, or those listed."""
    if customer_keys is None:
        frame = _query_frame(engine, "select customer_key, person_key from identity.person_accounts")
    else:
        frame = _query_frame(
            engine,
            "select customer_key, person_key from identity.person_accounts where customer_key = any(%s)",
            (list(customer_keys),),
        )
    return pd.Series(frame["person_key"].to_numpy(), index=frame["customer_key"].to_numpy(), dtype=object)


def load_person_accounts(engine: Engine, person_keys: Iterable[str]) -> pd.Series:
    """Return the customer keys of the listed persons, as person_key by customer_key."""
    frame = _query_frame(
        engine,
        "select customer_key, person_key from identity.person_accounts where person_key = any(%s)",
        (list(person_keys),),
    )
    return pd.Series(frame["person_key"].to_numpy(), index=frame["customer_key"].to_numpy(), dtype=object)


def load_edges(engine: Engine) -> pd.DataFrame:
    frame = _query_frame(
        engine, "select customer_key_l, customer_key_r, rule, match_probability from identity.match_edges"
    )
    frame = frame.rename(columns={"customer_key_l": "unique_id_l", "customer_key_r": "unique_id_r"})
    if frame.empty:
        frame = pd.DataFrame(columns=["unique_id_l", "unique_id_r", "rule", "match_probability"])
    return frame


def load_model(engine: Engine) -> dict[str, Any] | None:
    """Return the settings of the latest stored model, or None."""
    frame = _query_frame(
        engine,
        "select m.settings from identity.match_models m join identity.runs r using (run_id) "
        "order by r.finished_at desc limit 1",
    )
    if frame.empty:
        return None
    settings = frame["settings"].iloc[0]
    return settings if isinstance(settings, dict) else json.loads(settings)


def find_candidates(engine: Engine, hashes: list[int], max_block_size: int) -> tuple[set[str], int]:
    """Return stored accounts sharing a blocking key with ``hashes``, and how many keys were too common.

    A key shared by more than ``max_block_size`` stored accounts brings no candidates,
    as in a full run.
    """
    if not hashes:
        return set(), 0
    frame = _query_frame(
        engine,
        "select w.key, array_agg(k.customer_key) as accounts "
        "from unnest(%s::bigint[]) as w(key) "
        "join identity.account_blocking_keys k on k.blocking_key = w.key "
        "group by w.key",
        (hashes,),
    )
    found: set[str] = set()
    crowded = 0
    for accounts in frame["accounts"] if not frame.empty else []:
        if len(accounts) > max_block_size:
            crowded += 1
            continue
        found.update(accounts)
    return found, crowded


@dataclass
class RunWrite:
    """Everything one run writes; ``full`` replaces the bridge and edges, else rows are upserted."""

    run_id: str
    full: bool
    run: dict[str, Any]
    bridge: pd.DataFrame  # BRIDGE_COLUMNS; blocking_keys as PostgreSQL array text or None
    edges: pd.DataFrame  # EDGE_COLUMNS
    edges_replaced_for: list[str]  # incremental: accounts whose stored edges are dropped first
    persons: pd.DataFrame | None  # person_key + attribute columns, all active; None for RunTransaction
    merged: dict[str, str]
    retired: list[str]
    events: pd.DataFrame  # EVENT_COLUMNS
    model: dict[str, Any] | None = None
    removed_accounts: list[str] = field(default_factory=list)


def _person_columns(cursor, persons: pd.DataFrame) -> list[str]:
    cursor.execute(
        "select column_name from information_schema.columns where table_schema = 'identity' "
        "and table_name = 'persons'"
    )
    stored = {row[0] for row in cursor.fetchall()}
    unknown = [column for column in persons.columns if column not in stored]
    if unknown:
        raise IdentityStoreError(
            f"golden attributes {', '.join(unknown)} have no column in identity.persons: add them to "
            "plugins/customer_warehouse/sql/010_identity.sql, or remove them from config/survivorship.yml"
        )
    return list(persons.columns)


def _temporary_copy(cursor, name: str, table: str) -> None:
    """Create an empty temporary table with the columns of ``table`` but none of its constraints."""
    cursor.execute(f"create temporary table {name} on commit drop as select * from {table} with no data")


def _retire_persons(cursor, write: RunWrite) -> None:
    """Mark merged and retired persons first, so a full run's delete of active persons keeps them."""
    for loser, survivor in write.merged.items():
        cursor.execute(
            "insert into identity.persons (person_key, status, merged_into_person_key, updated_run_id) "
            "values (%s, 'merged', %s, %s) on conflict (person_key) do update set status = 'merged', "
            "merged_into_person_key = excluded.merged_into_person_key, "
            "updated_run_id = excluded.updated_run_id",
            (loser, survivor, write.run_id),
        )
    if write.retired:
        cursor.execute(
            "update identity.persons set status = 'retired', updated_run_id = %s where person_key = any(%s)",
            (write.run_id, write.retired),
        )


def _clear_persons(cursor, write: RunWrite) -> None:
    """Retire and merge persons; a full run also deletes the active ones and their key index."""
    _retire_persons(cursor, write)
    if write.full:
        cursor.execute("delete from identity.persons where status = 'active'")
        # As for the bridge: one sorted build of the key index instead of an insert per row.
        cursor.execute("alter table identity.persons drop constraint persons_pkey")


def _write_persons(cursor, write: RunWrite, persons: pd.DataFrame) -> None:
    """Write the active persons; ``_clear_persons`` must have run in the same transaction."""
    persons = persons.copy()
    persons["status"] = "active"
    persons["merged_into_person_key"] = None
    persons["updated_run_id"] = write.run_id
    if "sources" in persons:
        persons["sources"] = persons["sources"].map(_pg_array)
    columns = _person_columns(cursor, persons)
    if write.full:
        _copy(cursor, "identity.persons", persons, columns)
        cursor.execute("alter table identity.persons add constraint persons_pkey primary key (person_key)")
    else:
        _temporary_copy(cursor, "_persons", "identity.persons")
        _copy(cursor, "_persons", persons, columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "person_key")
        cursor.execute(
            f"insert into identity.persons ({', '.join(columns)}) select {', '.join(columns)} from _persons "
            f"on conflict (person_key) do update set {updates}"
        )


def _write_bridge(cursor, write: RunWrite) -> None:
    bridge = write.bridge.copy()
    if write.full:
        # Building the indexes once after the load is several times faster than keeping
        # them up to date row by row.
        cursor.execute("truncate identity.person_accounts, identity.account_blocking_keys")
        cursor.execute("drop index if exists identity.person_accounts_person_idx")
        cursor.execute("drop index if exists identity.account_blocking_keys_key_idx")
        cursor.execute("alter table identity.person_accounts drop constraint person_accounts_pkey")
        _copy(cursor, "identity.person_accounts", bridge, BRIDGE_COLUMNS)
        cursor.execute(
            "alter table identity.person_accounts "
            "add constraint person_accounts_pkey primary key (customer_key)"
        )
        cursor.execute("create index person_accounts_person_idx on identity.person_accounts (person_key)")
        cursor.execute(
            "insert into identity.account_blocking_keys (blocking_key, customer_key) "
            "select unnest(blocking_keys), customer_key from identity.person_accounts"
        )
        cursor.execute(
            "create index account_blocking_keys_key_idx on identity.account_blocking_keys (blocking_key)"
        )
        cursor.execute("analyze identity.person_accounts, identity.account_blocking_keys")
        return
    _temporary_copy(cursor, "_bridge", "identity.person_accounts")
    _copy(cursor, "_bridge", bridge, BRIDGE_COLUMNS)
    # Stored accounts that were not re-read carry no blocking keys: update them in place,
    # keeping the stored keys (an upsert would check NOT NULL before finding the conflict).
    kept = [c for c in BRIDGE_COLUMNS if c not in ("customer_key", "blocking_keys", "source")]
    cursor.execute(
        f"update identity.person_accounts a set {', '.join(f'{c} = b.{c}' for c in kept)}, "
        "source = coalesce(b.source, a.source) "
        "from _bridge b where a.customer_key = b.customer_key and b.blocking_keys is null"
    )
    _delete_blocking_keys(cursor, "select customer_key from _bridge where blocking_keys is not null")
    updates = ", ".join(f"{c} = excluded.{c}" for c in BRIDGE_COLUMNS if c != "customer_key")
    cursor.execute(
        f"insert into identity.person_accounts ({', '.join(BRIDGE_COLUMNS)}) "
        f"select {', '.join(BRIDGE_COLUMNS)} from _bridge where blocking_keys is not null "
        f"on conflict (customer_key) do update set {updates}"
    )
    cursor.execute(
        "insert into identity.account_blocking_keys (blocking_key, customer_key) "
        "select unnest(blocking_keys), customer_key from _bridge where blocking_keys is not null"
    )


def _delete_blocking_keys(cursor, accounts_sql: str, params: tuple[Any, ...] = ()) -> None:
    """Delete the rows of ``account_blocking_keys`` of the bridge accounts ``accounts_sql`` selects.

    Run it before their bridge rows change: it finds the rows through the stored keys,
    one probe of the key index each, instead of scanning the whole table.
    """
    cursor.execute(
        "delete from identity.account_blocking_keys k using identity.person_accounts a, "
        "unnest(a.blocking_keys) as stored(key) "
        f"where a.customer_key in ({accounts_sql}) "
        "and k.blocking_key = stored.key and k.customer_key = a.customer_key",
        params,
    )


def _write_edges(cursor, write: RunWrite) -> None:
    if write.full:
        cursor.execute("truncate identity.match_edges")
        _copy(cursor, "identity.match_edges", write.edges, EDGE_COLUMNS)
        return
    if write.edges_replaced_for:
        cursor.execute(
            "delete from identity.match_edges where customer_key_l = any(%s) or customer_key_r = any(%s)",
            (write.edges_replaced_for, write.edges_replaced_for),
        )
    _temporary_copy(cursor, "_edges", "identity.match_edges")
    _copy(cursor, "_edges", write.edges, EDGE_COLUMNS)
    cursor.execute(
        f"insert into identity.match_edges ({', '.join(EDGE_COLUMNS)}) select {', '.join(EDGE_COLUMNS)} "
        "from _edges on conflict (customer_key_l, customer_key_r) do nothing"
    )


def _write_run(cursor, write: RunWrite) -> None:
    run = write.run
    columns = list(run)
    cursor.execute(
        f"insert into identity.runs ({', '.join(columns)}) values ({', '.join(['%s'] * len(columns))})",
        [run[c] for c in columns],
    )
    if write.model is not None:
        cursor.execute(
            "insert into identity.match_models (run_id, settings) values (%s, %s)",
            (write.run_id, json.dumps(write.model)),
        )


def _write_all_but_persons(connection, write: RunWrite) -> None:
    with connection.cursor() as cursor:
        cursor.execute("select 1 from identity.runs where run_id = %s", (write.run_id,))
        if cursor.fetchone():
            raise IdentityStoreError(
                f"identity run {write.run_id} is already stored: give every run its own run id "
                "(the Airflow run id, for example)"
            )
        if write.full:
            cursor.execute(f"set local maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        _write_run(cursor, write)
        _write_edges(cursor, write)
        _write_bridge(cursor, write)
        if write.removed_accounts:
            _delete_blocking_keys(cursor, "select unnest(%s::text[])", (write.removed_accounts,))
            cursor.execute(
                "delete from identity.person_accounts where customer_key = any(%s)",
                (write.removed_accounts,),
            )
        # In key order, inserts into the person index of events touch each page once.
        events = write.events.assign(run_id=write.run_id).sort_values("person_key", kind="stable")
        _copy(cursor, "identity.person_events", events, EVENT_COLUMNS)
        _clear_persons(cursor, write)


class RunTransaction:
    """One run's write in a single transaction, with the persons passed in last.

    Creating it starts writing the run, edges, bridge and events on a background thread.
    Building the bridge's indexes is PostgreSQL's work, so the caller can compute the
    golden records on the other core meanwhile. ``finish`` writes the persons and commits.
    ``abort`` rolls back. Either one closes the connection, and one of them must be called.
    """

    def __init__(self, engine: Engine, write: RunWrite) -> None:
        self._write = write
        self._connection = engine.raw_connection()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="identity-store")
        self._pending: Future[None] = self._executor.submit(_write_all_but_persons, self._connection, write)

    def finish(self, persons: pd.DataFrame) -> None:
        """Write ``persons`` (person_key and golden attribute columns, all active) and commit."""
        try:
            self._pending.result()
            with self._connection.cursor() as cursor:
                _write_persons(cursor, self._write, persons)
            self._connection.commit()
        except BaseException:
            self._connection.rollback()
            raise
        finally:
            self._close()

    def abort(self) -> None:
        """Wait for the background writes to stop, then roll everything back."""
        try:
            # Its error, if any, is the caller's to report: the run fails either way.
            self._pending.exception()
            self._connection.rollback()
        finally:
            self._close()

    def _close(self) -> None:
        self._executor.shutdown(wait=True)
        self._connection.close()


def write_run(engine: Engine, write: RunWrite) -> None:
    """Write one run's results, ``write.persons`` included, in a single transaction."""
    if write.persons is None:
        raise ValueError("write_run needs write.persons; use RunTransaction to pass them in later")
    RunTransaction(engine, write).finish(write.persons)


def now() -> datetime:
    return pd.Timestamp.now(tz="UTC").to_pydatetime()
