"""Create the platform tables and bulk-write generated columns.

PostgreSQL receives CSV through ``COPY`` on a raw psycopg2 connection; MySQL/MariaDB
receives batched ``executemany`` inserts. Epoch-second columns become UTC timestamps and
integer-cent columns become decimals.
"""

from __future__ import annotations

import io
import logging
import time

import numpy as np
import pandas as pd
import psycopg2
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse import platform_schema
from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.simulator.settings import SimulationError
from customer_warehouse.simulator.textops import NULL_TS

log = logging.getLogger(__name__)
PG_CHUNK_ROWS = 200_000
MYSQL_CHUNK_ROWS = 5_000


def prepare_tables(engine: Engine, replace: bool) -> None:
    """Create the platform tables; reject a non-empty platform unless ``replace`` drops it first."""
    inspector = sa.inspect(engine)
    existing = [t for t in platform_schema.EXTRACT_TABLES if inspector.has_table(t.name)]
    if existing and not replace:
        with engine.connect() as conn:
            filled = [
                t.name
                for t in existing
                if conn.execute(sa.select(sa.literal(1)).select_from(t).limit(1)).first()
            ]
        if filled:
            raise SimulationError(
                f"platform database {engine.url.database} already holds rows in {', '.join(filled)}: "
                "pass --replace to drop and recreate its tables"
            )
    if replace:
        platform_schema.metadata.drop_all(engine)
    platform_schema.metadata.create_all(engine)


def _frame(table: sa.Table, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    data = {}
    for column in table.columns:
        values = columns[column.name]
        if isinstance(column.type, sa.DateTime):
            values = np.asarray(values, dtype=np.int64).astype("datetime64[s]")
        elif isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Integer):
            values = np.asarray(values, dtype=np.int64) / 100.0
        data[column.name] = values
    return pd.DataFrame(data)


def write_table(
    engine: Engine, table: sa.Table, columns: dict[str, np.ndarray], progress: bool = True
) -> int:
    """Append ``columns`` to ``table``; return the number of rows written."""
    frame = _frame(table, columns)
    started = time.monotonic()
    if engine.dialect.name == "postgresql":
        _copy(engine, table, frame, started, progress)
    else:
        _insert_batches(engine, table, frame, started, progress)
    log.info("wrote %s rows to %s in %.1f s", f"{len(frame):,}", table.name, time.monotonic() - started)
    return len(frame)


def _log_chunk(table: str, done: int, total: int, started: float, progress: bool) -> None:
    if progress:
        elapsed = max(time.monotonic() - started, 1e-6)
        log.info("%s: %s of %s rows (%s rows/s)", table, f"{done:,}", f"{total:,}", f"{done / elapsed:,.0f}")


def _copy(engine: Engine, table: sa.Table, frame: pd.DataFrame, started: float, progress: bool) -> None:
    statement = f"copy {table.name} ({', '.join(frame.columns)}) from stdin with (format csv)"
    with psycopg2.connect(psycopg2_dsn(engine.url)) as conn, conn.cursor() as cursor:
        cursor.execute("set time zone 'UTC'")
        for start in range(0, len(frame), PG_CHUNK_ROWS):
            buffer = io.StringIO()
            frame.iloc[start : start + PG_CHUNK_ROWS].to_csv(
                buffer, index=False, header=False, float_format="%.2f"
            )
            buffer.seek(0)
            cursor.copy_expert(statement, buffer)
            _log_chunk(table.name, min(start + PG_CHUNK_ROWS, len(frame)), len(frame), started, progress)


def _mysql_values(frame: pd.DataFrame) -> list[list]:
    columns = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            text = series.dt.strftime("%Y-%m-%d %H:%M:%S")
            columns.append([None if pd.isna(v) else v for v in text.tolist()])
        elif pd.api.types.is_float_dtype(series):
            columns.append([f"{v:.2f}" for v in series.tolist()])
        else:
            # pandas 3 stores missing strings as NaN, which MySQL rejects: send NULL.
            columns.append([None if isinstance(v, float) and v != v else v for v in series.tolist()])
    return [list(row) for row in zip(*columns, strict=True)]


def _insert_batches(
    engine: Engine, table: sa.Table, frame: pd.DataFrame, started: float, progress: bool
) -> None:
    placeholders = ", ".join(["%s"] * len(frame.columns))
    statement = f"insert into {table.name} ({', '.join(frame.columns)}) values ({placeholders})"
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("set time_zone = '+00:00'")
        for start in range(0, len(frame), MYSQL_CHUNK_ROWS):
            cursor.executemany(statement, _mysql_values(frame.iloc[start : start + MYSQL_CHUNK_ROWS]))
            raw.commit()
            _log_chunk(table.name, min(start + MYSQL_CHUNK_ROWS, len(frame)), len(frame), started, progress)
    finally:
        raw.close()


def null_ts(n: int) -> np.ndarray:
    return np.full(n, NULL_TS, dtype=np.int64)
