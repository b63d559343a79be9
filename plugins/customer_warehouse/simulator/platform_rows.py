"""Reads and batched updates of the platform tables for ``advance``, on PostgreSQL or MySQL."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import numpy as np
import psycopg2.extras
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse.simulator.textops import NULL_TS

log = logging.getLogger(__name__)
KEY_BATCH = 5_000
UPDATE_BATCH = 1_000


def epoch_seconds(value: datetime | None) -> int:
    if value is None:
        return NULL_TS
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


class Platform:
    """Reads and updates the platform tables of one ``advance`` step.

    Reads select only the rows a step may change: random keys are sampled in Python and
    looked up in batches of ``KEY_BATCH``, which works the same on PostgreSQL and MySQL.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.aware = engine.dialect.name == "postgresql"

    def column(self, table: sa.Table, *names: str, where=None) -> list[np.ndarray]:
        query = sa.select(*(table.c[n] for n in names)).order_by(table.primary_key.columns.values()[0])
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return _columns(rows, len(names))

    def rows_with_keys(
        self, table: sa.Table, key: sa.Column, keys: np.ndarray, *names: str, where=None
    ) -> list[np.ndarray]:
        """Return ``names`` of the rows whose ``key`` is in ``keys`` and that match ``where``.

        ``names`` must include the primary key, because rows come back sorted by it.
        """
        rows = []
        with self.engine.connect() as conn:
            for start in range(0, len(keys), KEY_BATCH):
                batch = [int(k) for k in keys[start : start + KEY_BATCH]]
                query = sa.select(*(table.c[n] for n in names)).where(key.in_(batch))
                if where is not None:
                    query = query.where(where)
                rows += conn.execute(query).all()
        primary = names.index(table.primary_key.columns.values()[0].name)
        rows.sort(key=lambda row: row[primary])
        return _columns(rows, len(names))

    def sample(
        self, rng, table: sa.Table, share: float, minimum: int, *names: str, where=None
    ) -> list[np.ndarray]:
        """Draw ``max(minimum, share * matching rows)`` random rows matching ``where``, as ``names`` columns.

        The first name must be the table's integer primary key. Candidate keys are drawn in a
        random order over the key range and looked up batch by batch until enough rows match.
        """
        key = table.c[names[0]]
        with self.engine.connect() as conn:
            query = sa.select(sa.func.count(), sa.func.min(key), sa.func.max(key))
            matching, low, high = conn.execute(query.where(where) if where is not None else query).one()
        count = min(matching, max(minimum, round(matching * share)))
        if not count:
            return [np.array([], dtype=object) for _ in names]
        candidates = low + rng.permutation(high - low + 1)
        found: list[list[np.ndarray]] = []
        total = 0
        for start in range(0, len(candidates), KEY_BATCH):
            batch = candidates[start : start + KEY_BATCH]
            columns = self.rows_with_keys(table, key, batch, *names, where=where)
            found.append(columns)
            total += len(columns[0])
            if total >= count:
                break
        merged = [np.concatenate([part[i] for part in found]) for i in range(len(names))]
        # Keep the first ``count`` matches in drawn order, then sort them by key.
        rank = {int(k): i for i, k in enumerate(candidates[: start + KEY_BATCH])}
        keep = np.argsort([rank[int(k)] for k in merged[0]], kind="stable")[:count]
        keep = keep[np.argsort(merged[0][keep].astype(np.int64))]
        return [values[keep] for values in merged]

    def max_of(self, column: sa.Column) -> int | datetime | None:
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.max(column)))

    def stamp(self, ts: int) -> datetime:
        value = datetime.fromtimestamp(int(ts), tz=UTC)
        return value if self.aware else value.replace(tzinfo=None)

    def update(self, table: sa.Table, rows: list[dict]) -> None:
        """Update rows by primary key, ``UPDATE_BATCH`` rows at a time.

        Each dict contains the row's key as ``_key`` and its new column values.
        """
        if not rows:
            return
        key = table.primary_key.columns.values()[0].name
        assignments = ", ".join(f"{name} = %({name})s" for name in rows[0] if name != "_key")
        statement = f"update {table.name} set {assignments} where {key} = %(_key)s"
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for start in range(0, len(rows), UPDATE_BATCH):
                batch = rows[start : start + UPDATE_BATCH]
                if self.aware:
                    # execute_batch sends a page of statements in one round trip, executemany one per row.
                    psycopg2.extras.execute_batch(cursor, statement, batch, page_size=UPDATE_BATCH)
                else:
                    cursor.executemany(statement, batch)
            raw.commit()
        finally:
            raw.close()


def _columns(rows: list, width: int) -> list[np.ndarray]:
    columns = []
    for i in range(width):
        values = np.empty(len(rows), dtype=object)
        values[:] = [row[i] for row in rows]
        columns.append(values)
    return columns
