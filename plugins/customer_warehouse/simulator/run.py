"""``simulate``: create and fill the platform database, the event files and the truth."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from customer_warehouse import platform_schema
from customer_warehouse.db import engine as make_engine
from customer_warehouse.db import ensure_database
from customer_warehouse.simulator import commerce, truth, writer
from customer_warehouse.simulator.eventfiles import DaySpool
from customer_warehouse.simulator.events import EventBuilder
from customer_warehouse.simulator.pools import build_pools
from customer_warehouse.simulator.population import Population, build_population, customer_columns
from customer_warehouse.simulator.settings import (
    DEFAULT_START,
    DefectRates,
    SimulationPlan,
    SimulationSummary,
    check_size,
)

log = logging.getLogger(__name__)
# Customers generated and written at once. Peak memory follows this size, not the run size:
# 100,000 and 1,000,000 customers peaked at 0.9 and 1.3 GB resident (2 cores, PostgreSQL 15).
CHUNK_CUSTOMERS = 100_000
CHILD_TABLES = ("orders", "order_items", "payments", "reviews")


@dataclass
class NextIds:
    """First ids of the next chunk; events number their visits (sessions) from 0."""

    customers: int = 1
    persons: int = 1
    addresses: int = 1
    orders: int = 1
    order_items: int = 1
    payments: int = 1
    reviews: int = 1
    sessions: int = 0


def product_count(customers: int) -> int:
    return int(np.clip(customers // 100, 1_000, 5_000))


def defect_counts(pop: Population) -> dict[str, int]:
    counts = {label: int(mask.sum()) for label, mask in sorted(pop.labels.items())}
    counts["duplicate_accounts"] = int((pop.truth["duplicate_of_customer_id"] >= 0).sum())
    counts["fake_accounts"] = int(pop.is_fake.sum())
    return counts


def chunk_sizes(customers: int) -> list[int]:
    """Split ``customers`` into near-equal chunks of at most ``CHUNK_CUSTOMERS``."""
    chunks = -(-customers // CHUNK_CUSTOMERS)
    return [len(part) for part in np.array_split(np.arange(customers), chunks)]


def simulate(
    url: str,
    customers: int,
    seed: int,
    events_dir: Path,
    truth_dir: Path,
    start: date | None = None,
    days: int = 365,
    progress: bool = True,
    replace: bool = False,
    defects: DefectRates | None = None,
) -> SimulationSummary:
    """Create the platform tables at ``url`` and fill them with ``customers`` accounts over ``days`` days.

    Customers are generated and written in chunks of at most ``CHUNK_CUSTOMERS``. Duplicate
    accounts of one person stay in one chunk, and ids follow creation time within a chunk
    only. Raises ``SimulationError`` when the size is out of range or the platform already
    has rows and ``replace`` is false.
    """
    check_size(customers)
    plan = SimulationPlan(
        customers=customers,
        seed=seed,
        start=start or DEFAULT_START,
        days=days,
        defects=defects or DefectRates(),
    )
    started = time.monotonic()
    ensure_database(url)
    engine = make_engine(url)
    writer.prepare_tables(engine, replace)
    pools = build_pools(seed)
    summary = SimulationSummary()
    spool = DaySpool(events_dir, seed)
    # Loading into tables without their secondary indexes, then indexing once, is faster
    # than keeping the indexes up to date row by row.
    writer.drop_secondary_indexes(engine)
    try:
        _simulate_chunks(engine, pools, plan, spool, truth_dir, summary, progress)
    except BaseException:
        spool.discard()
        raise
    finally:
        writer.create_secondary_indexes(engine)
        engine.dispose()
    summary.event_files, summary.events = spool.finish(progress)
    summary.seconds = round(time.monotonic() - started, 1)
    truth.write_run(truth_dir, {"plan": plan.to_json(), "summary": summary.to_json(), "steps": []})
    log.info("simulated %s customers in %.1f s: %s", f"{customers:,}", summary.seconds, summary.rows)
    return summary


def _simulate_chunks(
    engine, pools, plan: SimulationPlan, spool: DaySpool, truth_dir: Path, summary, progress
):
    """Generate, write and spool the events of each chunk in turn."""
    ids = NextIds()
    products: dict | None = None
    sizes = chunk_sizes(plan.customers)
    for index, size in enumerate(sizes):
        chunk_started = time.monotonic()
        # The first chunk draws from ``default_rng(seed)`` so runs of one chunk keep the
        # rows that the simulator produced before it wrote in chunks.
        rng = np.random.default_rng(plan.seed if index == 0 else [plan.seed, index])
        tables, pop = _generate_tables(rng, pools, plan, size, ids, products)
        products = tables.get("products", products)
        for table in platform_schema.EXTRACT_TABLES:
            if table.name in tables:
                written = writer.write_table(engine, table, tables[table.name], progress)
                summary.rows[table.name] = summary.rows.get(table.name, 0) + written
        _spool_events(rng, plan, spool, tables, products, ids)
        truth.write_customers(truth_dir, pop, append=index > 0)
        for label, count in defect_counts(pop).items():
            summary.defects[label] = summary.defects.get(label, 0) + count
        _advance_ids(ids, tables, pop)
        log.info(
            "chunk %s of %s: wrote %s customers from id %s in %.1f s",
            index + 1,
            len(sizes),
            f"{size:,}",
            f"{int(pop.truth['customer_id'].min()):,}",
            time.monotonic() - chunk_started,
        )


def _generate_tables(rng, pools, plan: SimulationPlan, size: int, ids: NextIds, products: dict | None):
    """Generate one chunk's rows; products are generated once, in the first chunk."""
    window = (plan.start_ts, plan.end_ts)
    pop = build_population(rng, pools, size, plan.defects, window, (ids.customers, ids.persons))
    cust = customer_columns(pop)
    addr = commerce.addresses(rng, pools, cust, pop.home, first_id=ids.addresses)
    tables = {"customers": cust, "addresses": addr}
    if products is None:
        products = tables["products"] = commerce.products(rng, product_count(plan.customers), window[0])
    counts = commerce.order_counts(rng, pop.is_fake, pop.truth["duplicate_of_customer_id"] >= 0)
    first_ids = {name: getattr(ids, name) for name in CHILD_TABLES}
    shop = commerce.build_shop(rng, cust, addr, products, counts, window, first_ids)
    tables.update(
        orders=shop.orders, order_items=shop.order_items, payments=shop.payments, reviews=shop.reviews
    )
    return tables, pop


def _spool_events(rng, plan: SimulationPlan, spool: DaySpool, tables: dict, products: dict, ids: NextIds):
    events = EventBuilder(plan.seed, first_session=ids.sessions, first_purchase=ids.orders - 1)
    events.add_signups(tables["customers"])
    events.add_purchases(rng, tables["orders"], tables["order_items"], tables["customers"])
    browsing = len(tables["orders"]["order_id"]) // 3
    events.add_browsing(rng, browsing, (plan.start_ts, plan.end_ts), products["product_id"])
    events.spool(spool)
    ids.sessions = events.session_count


def _advance_ids(ids: NextIds, tables: dict, pop: Population) -> None:
    ids.customers += len(pop)
    ids.persons = int(pop.truth["person_id"].max()) + 1
    ids.addresses += len(tables["addresses"]["address_id"])
    for name in CHILD_TABLES:
        key = platform_schema.PRIMARY_KEYS[name]
        setattr(ids, name, getattr(ids, name) + len(tables[name][key]))
