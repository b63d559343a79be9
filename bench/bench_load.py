"""Benchmark: ``load_landing`` of a large Olist order-items CSV against a plain ``COPY``.

Generates a CSV in the Olist order-items layout, then in the same run times

- baseline: one ``COPY ... FROM STDIN (FORMAT csv, HEADER)`` of the file through psycopg2
  into a table identical to ``raw.olist_order_items``, whose lineage columns are filled
  by defaults of the same width as the values the loader writes, so both tables store
  rows of the same size;
- ours: ``load_landing`` of the same file (checksum, encoding check, column-wise checks,
  COPY of the checked rows with their lineage columns, bookkeeping).

Both loads alternate ``--repeat`` times on a throwaway database, which is dropped at the end.
The output gives the best time of each and the median ratio of the back-to-back pairs.
Run: ``python -m bench.bench_load --rows 1000000``.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg2
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from sqlalchemy.engine import make_url

from customer_warehouse.config import Settings
from customer_warehouse.db import drop_database, psycopg2_dsn
from customer_warehouse.ingest import load_landing
from customer_warehouse.warehouse import bootstrap

log = logging.getLogger(__name__)

SERVER_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
FILE_NAME = "olist_order_items_dataset.csv"
COLUMNS = "order_id, order_item_id, product_id, seller_id, shipping_limit_date, price, freight_value"


def _hex_ids(rng: np.random.Generator, count: int, distinct: int) -> pa.Array:
    raw = rng.bytes(16 * distinct)
    pool = pa.array([raw[16 * i : 16 * (i + 1)].hex() for i in range(distinct)])
    return pool.take(pa.array(rng.integers(0, distinct, count)))


def generate_order_items(path: Path, rows: int, seed: int = 7) -> None:
    """Write ``rows`` order items in the Olist layout (32-hex ids, float prices) to ``path``."""
    rng = np.random.default_rng(seed)
    seconds = rng.integers(1_470_000_000, 1_540_000_000, rows).astype("datetime64[s]")
    prices = np.round(rng.gamma(2.0, 60.0, rows) + 0.85, 2)
    freight = np.round(rng.gamma(2.0, 10.0, rows), 2)
    table = pa.table(
        {
            "order_id": _hex_ids(rng, rows, max(rows // 2, 1)),
            "order_item_id": pa.array(rng.integers(1, 6, rows)),
            "product_id": _hex_ids(rng, rows, max(rows // 5, 1)),
            "seller_id": _hex_ids(rng, rows, 3_000),
            "shipping_limit_date": pc.strftime(pa.array(seconds), format="%Y-%m-%d %H:%M:%S"),
            "price": pa.array(prices),
            "freight_value": pa.array(freight),
        }
    )
    # pyarrow quotes header names, the Olist export does not, so write the header by hand.
    with path.open("wb") as stream:
        stream.write((",".join(table.column_names) + "\n").encode())
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        pa_csv.write_csv(table, stream, write_options=options)


@dataclass
class Timing:
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def _prepare_baseline(dsn: str, batch_id: str) -> None:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("create schema if not exists bench")
        cur.execute("drop table if exists bench.plain_order_items")
        cur.execute("create table bench.plain_order_items (like raw.olist_order_items including defaults)")
        cur.execute(
            "alter table bench.plain_order_items"
            " alter column _batch_id set default %s,"
            " alter column _source set default 'olist',"
            " alter column _source_object set default %s",
            (batch_id, f"olist/{FILE_NAME}"),
        )
    conn.close()


def time_plain_copy(dsn: str, path: Path, rows: int) -> Timing:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("truncate bench.plain_order_items")
        conn.commit()
        started = time.perf_counter()
        with path.open("rb") as stream:
            cur.copy_expert(
                f"copy bench.plain_order_items ({COLUMNS}) from stdin with (format csv, header true)",
                stream,
                size=1 << 20,
            )
        conn.commit()
        seconds = time.perf_counter() - started
    conn.close()
    return Timing(rows, seconds)


def time_load_landing(settings: Settings, dsn: str, rows: int, attempt: int) -> Timing:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "truncate raw.olist_order_items, audit.quarantine, audit.file_manifest, audit.load_batches"
        )
    conn.close()
    started = time.perf_counter()
    results = load_landing(settings, f"bench{attempt}")
    seconds = time.perf_counter() - started
    loaded = sum(result.rows_loaded for result in results)
    if loaded != rows:
        raise RuntimeError(
            f"load_landing loaded {loaded:,} rows of {rows:,}: {[r.summary() for r in results]}"
        )
    return Timing(rows, seconds)


def run(rows: int, repeat: int, work_dir: Path, warehouse_url: str) -> tuple[list[Timing], list[Timing]]:
    """Time both loads ``repeat`` times into the (new, empty) database at ``warehouse_url``."""
    landing = work_dir / "landing"
    (landing / "olist").mkdir(parents=True)
    path = landing / "olist" / FILE_NAME
    started = time.perf_counter()
    generate_order_items(path, rows)
    log.info(
        "generated %s rows (%.0f MB) in %.1f s",
        f"{rows:,}",
        path.stat().st_size / 1e6,
        time.perf_counter() - started,
    )
    settings = Settings(
        work_dir, warehouse_url, warehouse_url, landing, work_dir / "truth", work_dir / "docs", 3600
    )
    bootstrap(warehouse_url)
    dsn = psycopg2_dsn(warehouse_url)
    # A batch id as long as the loader's, so baseline rows are as wide as loaded rows.
    _prepare_baseline(dsn, f"bench0:olist:order_items:{uuid.uuid4().hex[:8]}")
    plain, ours = [], []
    for attempt in range(repeat):
        plain.append(time_plain_copy(dsn, path, rows))
        ours.append(time_load_landing(settings, dsn, rows, attempt))
        log.info(
            "attempt %s: plain COPY %.2f s, load_landing %.2f s",
            attempt + 1,
            plain[-1].seconds,
            ours[-1].seconds,
        )
    return plain, ours


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="rows in the generated CSV (default 1,000,000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each load (default 3)")
    parser.add_argument(
        "--server-url",
        default=SERVER_URL,
        help=f"PostgreSQL server for the throwaway database (default {SERVER_URL})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("customer_warehouse").setLevel(logging.WARNING)
    work_dir = Path(tempfile.mkdtemp(prefix="cw_bench_load_"))
    url = make_url(args.server_url).set(database=f"bench_load_{uuid.uuid4().hex[:8]}")
    warehouse_url = url.render_as_string(hide_password=False)
    try:
        plain_runs, our_runs = run(args.rows, args.repeat, work_dir, warehouse_url)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
        drop_database(warehouse_url)
    plain = min(plain_runs, key=lambda t: t.seconds)
    ours = min(our_runs, key=lambda t: t.seconds)
    # Each attempt times both loads back to back, so both loads of a pair run under about the
    # same machine load.
    paired = statistics.median(o.rate / p.rate for p, o in zip(plain_runs, our_runs, strict=True))
    print(f"rows: {args.rows:,} (best of {args.repeat})")
    print(f"plain COPY:   {plain.rate:>12,.0f} rows/s ({plain.seconds:.2f} s)")
    print(f"load_landing: {ours.rate:>12,.0f} rows/s ({ours.seconds:.2f} s)")
    print(f"ratio of the best runs, load_landing / plain COPY: {ours.rate / plain.rate:.2f} (target >= 0.80)")
    print(f"median ratio of the back-to-back pairs: {paired:.2f}")


if __name__ == "__main__":
    main()
