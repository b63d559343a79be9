"""Create the platform tables and bulk-write generated columns.

PostgreSQL receives CSV written by pyarrow through ``COPY`` on a raw psycopg2 connection;
MySQL/MariaDB receives batched ``executemany`` inserts. Epoch-second columns become UTC timestamps and
integer-cent columns become decimals.
"""

from __future__ import annotations

import io
import logging
import time

import numpy as np
import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse import platform_schema
from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.simulator import arrowtext
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
                f"platform database {engine.url.database} already contains rows in {', '.join(filled)}: "
                "pass --replace to drop and recreate its tables"
            )
    if replace:
        platform_schema.metadata.drop_all(engine)
    platform_schema.metadata.create_all(engine)


def drop_secondary_indexes(engine: Engine) -> None:
    """Drop the non-key indexes of the platform tables, so bulk loads skip their upkeep."""
    for table in platform_schema.EXTRACT_TABLES:
        for index in table.indexes:
            index.drop(engine, checkfirst=True)


def create_secondary_indexes(engine: Engine) -> None:
    """Create the non-key indexes that ``drop_secondary_indexes`` dropped."""
    started = time.monotonic()
    for table in platform_schema.EXTRACT_TABLES:
        for index in table.indexes:
            index.create(engine, checkfirst=True)
    log.info("created the indexes of the platform tables in %.1f s", time.monotonic() - started)


def _frame(table: sa.Table, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    data = {}
    for column in table.columns:
        values = columns[column.name]
        if isinstance(column.type, sa.DateTime):
            values = np.asarray(values, dtype=np.int64).astype("datetime64[s]")
        elif _is_decimal(column):
            values = np.asarray(values, dtype=np.int64) / 100.0
        data[column.name] = values
    return pd.DataFrame(data)


def _is_decimal(column: sa.Column) -> bool:
    return isinstance(column.type, sa.Numeric) and not isinstance(column.type, sa.Integer)


def _cents_text(cents: np.ndarray) -> pa.Array:
    """Format integer cents as decimal text, "1234" as "12.34" and "-5" as "-0.05"."""
    magnitude = np.abs(cents)
    sign = pa.array(np.where(cents < 0, "-", ""))
    fraction = pc.utf8_lpad(pc.cast(pa.array(magnitude % 100), pa.string()), width=2, padding="0")
    return arrowtext.join(sign, pc.cast(pa.array(magnitude // 100), pa.string()), ".", fraction)


def _arrow_column(column: sa.Column, values: np.ndarray) -> pa.Array:
    """Convert one generated column to the pyarrow array its CSV text comes from."""
    if isinstance(column.type, sa.DateTime):
        values = np.asarray(values, dtype=np.int64)
        return pa.array(values, mask=values == NULL_TS).cast(pa.timestamp("s"))
    if _is_decimal(column):
        return _cents_text(np.asarray(values, dtype=np.int64))
    if isinstance(column.type, sa.String):
        text = pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
        # COPY reads an unquoted empty field as NULL, and pyarrow quotes every string, so an
        # empty string becomes NULL here explicitly; MySQL inserts keep it as an empty string.
        return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
    return pa.array(values)


def _arrow_table(table: sa.Table, columns: dict[str, np.ndarray]) -> pa.Table:
    return pa.table({column.name: _arrow_column(column, columns[column.name]) for column in table.columns})


def write_table(
    engine: Engine, table: sa.Table, columns: dict[str, np.ndarray], progress: bool = True
) -> int:
    """Append ``columns`` to ``table``; return the number of rows written."""
    started = time.monotonic()
    if engine.dialect.name == "postgresql":
        rows = _copy(engine, table, _arrow_table(table, columns), started, progress)
    else:
        frame = _frame(table, columns)
        _insert_batches(engine, table, frame, started, progress)
        rows = len(frame)
    log.info("wrote %s rows to %s in %.1f s", f"{rows:,}", table.name, time.monotonic() - started)
    return rows


def _log_chunk(table: str, done: int, total: int, started: float, progress: bool) -> None:
    if progress:
        elapsed = max(time.monotonic() - started, 1e-6)
        log.info("%s: %s of %s rows (%s rows/s)", table, f"{done:,}", f"{total:,}", f"{done / elapsed:,.0f}")


def _copy(engine: Engine, table: sa.Table, data: pa.Table, started: float, progress: bool) -> int:
    statement = f"copy {table.name} ({', '.join(data.column_names)}) from stdin with (format csv)"
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with psycopg2.connect(psycopg2_dsn(engine.url)) as conn, conn.cursor() as cursor:
        cursor.execute("set time zone 'UTC'")
        for start in range(0, data.num_rows, PG_CHUNK_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(data.slice(start, PG_CHUNK_ROWS), buffer, options)
            buffer.seek(0)
            cursor.copy_expert(statement, buffer)
            _log_chunk(
                table.name, min(start + PG_CHUNK_ROWS, data.num_rows), data.num_rows, started, progress
            )
    return data.num_rows


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
