"""``simulate``: create and fill the platform database, the event files and the truth."""

from __future__ import annotations

import logging
import time
from datetime import date
from pathlib import Path

import numpy as np

from customer_warehouse import platform_schema
from customer_warehouse.db import engine as make_engine
from customer_warehouse.db import ensure_database
from customer_warehouse.simulator import commerce, truth, writer
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
FIRST_IDS = {"orders": 1, "order_items": 1, "payments": 1, "reviews": 1}


def product_count(customers: int) -> int:
    return int(np.clip(customers // 100, 1_000, 5_000))


def defect_counts(pop: Population) -> dict[str, int]:
    counts = {label: int(mask.sum()) for label, mask in sorted(pop.labels.items())}
    counts["duplicate_accounts"] = int((pop.truth["duplicate_of_customer_id"] >= 0).sum())
    counts["fake_accounts"] = int(pop.is_fake.sum())
    return counts


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

    Raises ``SimulationError`` when the size is out of range or the platform already has
    rows and ``replace`` is false.
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
    rng = np.random.default_rng(seed)
    pools = build_pools(seed)
    window = (plan.start_ts, plan.end_ts)
    pop = build_population(rng, pools, customers, plan.defects, window, (1, 1))
    log.info("generated %s customer accounts (seed %s)", f"{customers:,}", seed)
    tables = _generate_tables(rng, pools, pop, window, customers)
    summary = SimulationSummary(defects=defect_counts(pop))
    for table in platform_schema.EXTRACT_TABLES:
        summary.rows[table.name] = writer.write_table(engine, table, tables[table.name], progress)
    engine.dispose()
    events = EventBuilder(seed)
    events.add_signups(tables["customers"])
    events.add_purchases(rng, tables["orders"], tables["order_items"], tables["customers"])
    events.add_browsing(rng, len(tables["orders"]["order_id"]) // 3, window, tables["products"]["product_id"])
    summary.event_files, summary.events = events.write(events_dir, progress)
    truth.write_customers(truth_dir, pop, append=False)
    summary.seconds = round(time.monotonic() - started, 1)
    truth.write_run(truth_dir, {"plan": plan.to_json(), "summary": summary.to_json(), "steps": []})
    log.info("simulated %s customers in %.1f s: %s", f"{customers:,}", summary.seconds, summary.rows)
    return summary


def _generate_tables(rng, pools, pop: Population, window: tuple[int, int], customers: int) -> dict[str, dict]:
    cust = customer_columns(pop)
    addr = commerce.addresses(rng, pools, cust, pop.home, first_id=1)
    prod = commerce.products(rng, product_count(customers), window[0])
    counts = commerce.order_counts(rng, pop.is_fake, pop.truth["duplicate_of_customer_id"] >= 0)
    shop = commerce.build_shop(rng, cust, addr, prod, counts, window, FIRST_IDS)
    return {
        "customers": cust,
        "addresses": addr,
        "products": prod,
        "orders": shop.orders,
        "order_items": shop.order_items,
        "payments": shop.payments,
        "reviews": shop.reviews,
    }
