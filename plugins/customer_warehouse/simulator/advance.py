"""``advance``: one more simulated day on an existing platform.

A step adds new customers and orders, moves orders along their statuses, changes
addresses, edits emails and phones, soft deletes customers, and finally commits a few late
updates whose ``updated_at`` lies up to 30 minutes before the latest ``updated_at`` already
in the table, like a long transaction that stamped its start time. Step ``k`` simulates day
``start + days + k - 1``; the same seed, step and platform state give the same changes.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse import platform_schema as ps
from customer_warehouse.db import engine as make_engine
from customer_warehouse.simulator import commerce, truth, writer
from customer_warehouse.simulator.events import EventBuilder
from customer_warehouse.simulator.places import draw_places
from customer_warehouse.simulator.pools import Pools, build_pools
from customer_warehouse.simulator.population import build_population, customer_columns
from customer_warehouse.simulator.run import defect_counts
from customer_warehouse.simulator.settings import DAY_SECONDS, AdvanceRates, DefectRates, SimulationSummary
from customer_warehouse.simulator.textops import NULL_TS

log = logging.getLogger(__name__)
NEXT_STATUS = {"placed": "paid", "paid": "shipped", "shipped": "delivered"}
Change = tuple[str, int, str]


def _epoch(value: datetime | None) -> int:
    if value is None:
        return NULL_TS
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


class Platform:
    """Reads and updates the platform tables of one ``advance`` step."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.aware = engine.dialect.name == "postgresql"

    def column(self, table: sa.Table, *names: str, where=None) -> list[np.ndarray]:
        query = sa.select(*(table.c[n] for n in names)).order_by(table.primary_key.columns.values()[0])
        if where is not None:
            query = query.where(where)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [np.array([r[i] for r in rows], dtype=object) for i in range(len(names))]

    def max_of(self, column: sa.Column) -> int | datetime | None:
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.max(column)))

    def stamp(self, ts: int) -> datetime:
        value = datetime.fromtimestamp(int(ts), tz=UTC)
        return value if self.aware else value.replace(tzinfo=None)

    def update(self, table: sa.Table, rows: list[dict]) -> None:
        """Update rows by primary key; each dict holds ``_key`` and the new column values."""
        if not rows:
            return
        key = table.primary_key.columns.values()[0]
        values = {name: sa.bindparam(name) for name in rows[0] if name != "_key"}
        statement = table.update().where(key == sa.bindparam("_key")).values(values)
        with self.engine.begin() as conn:
            conn.execute(statement, rows)


def advance(
    url: str, seed: int, step: int, events_dir: Path, truth_dir: Path, progress: bool = True
) -> SimulationSummary:
    """Simulate day ``step`` after the initial history on the platform at ``url``."""
    started = time.monotonic()
    run = truth.read_run(truth_dir)
    start_ts = int(datetime.fromisoformat(run["plan"]["start"]).replace(tzinfo=UTC).timestamp())
    day0 = start_ts + (run["plan"]["days"] + step - 1) * DAY_SECONDS
    window = (day0, day0 + DAY_SECONDS)
    rng = np.random.default_rng([seed, step, 101])
    platform = Platform(make_engine(url))
    changes: list[Change] = []
    summary = SimulationSummary()
    pools = build_pools(seed)
    new = _add_new_rows(rng, platform, pools, window, truth_dir, summary)
    changes += _move_orders(rng, platform, window)
    changes += _change_addresses(rng, platform, pools, window)
    changes += _edit_contacts(rng, platform, window)
    changes += _soft_delete(rng, platform, window)
    changes += _late_updates(rng, platform)
    _write_events(seed, step, new, window, events_dir, summary, progress)
    truth.write_changes(truth_dir, step, changes)
    summary.defects["changed_rows"] = len(changes)
    summary.seconds = round(time.monotonic() - started, 1)
    run["steps"].append(
        {"step": step, "day": str(np.datetime64(day0 // DAY_SECONDS, "D")), **summary.to_json()}
    )
    truth.write_run(truth_dir, run)
    platform.engine.dispose()
    log.info("advanced step %s: %s new rows, %s changed rows", step, summary.rows, len(changes))
    return summary


def _add_new_rows(
    rng, platform: Platform, pools: Pools, window, truth_dir: Path, summary: SimulationSummary
) -> dict:
    rates = AdvanceRates()
    existing = int(platform.max_of(ps.customers.c.customer_id) or 0)
    pop = build_population(
        rng,
        pools,
        max(20, round(existing * rates.new_customers)),
        DefectRates(),
        window,
        (existing + 1, truth.max_person_id(truth_dir) + 1),
    )
    cust = customer_columns(pop)
    addr = commerce.addresses(rng, pools, cust, pop.home, int(platform.max_of(ps.addresses.c.address_id)) + 1)
    buyers = _buyers(rng, platform, cust, addr, window, rates)
    product_id, price = platform.column(ps.products, "product_id", "unit_price")
    prod = {
        "product_id": product_id.astype(np.int64),
        "unit_price": (price.astype(float) * 100).round().astype(np.int64),
    }
    first_ids = {
        t: int(platform.max_of(getattr(ps, t).c[ps.PRIMARY_KEYS[t]]) or 0) + 1
        for t in ("orders", "order_items", "payments", "reviews")
    }
    shop = commerce.build_shop(
        rng, buyers["customers"], buyers["addresses"], prod, buyers["counts"], window, first_ids
    )
    tables = {
        "customers": cust,
        "addresses": addr,
        "orders": shop.orders,
        "order_items": shop.order_items,
        "payments": shop.payments,
        "reviews": shop.reviews,
    }
    for name, columns in tables.items():
        summary.rows[name] = writer.write_table(platform.engine, getattr(ps, name), columns, progress=False)
    truth.write_customers(truth_dir, pop, append=True)
    summary.defects.update(defect_counts(pop))
    return {
        "customers": cust,
        "orders": shop.orders,
        "order_items": shop.order_items,
        "products": prod,
        "buyers": buyers["customers"],
    }


def _buyers(rng, platform: Platform, new_cust: dict, new_addr: dict, window, rates: AdvanceRates) -> dict:
    """Choose today's buyers among active customers (new ones included) with their default addresses."""
    ids, country, signup_device, signup_ip, channel = platform.column(
        ps.customers,
        "customer_id",
        "country_code",
        "signup_device_id",
        "signup_ip",
        "signup_channel",
        where=ps.customers.c.deleted_at.is_(None),
    )
    address_owner, address_id = platform.column(
        ps.addresses, "customer_id", "address_id", where=ps.addresses.c.is_default.is_(True)
    )
    n_orders = int(platform.max_of(ps.orders.c.order_id) or 0)
    count = max(10, round(n_orders * rates.new_orders))
    chosen = np.unique(rng.choice(len(ids), size=min(count, len(ids)), replace=False))
    ids = ids[chosen].astype(np.int64)
    # Orders are built with stand-in customers created at the start of the day, so every order falls on it.
    stand_in = {
        "customer_id": ids,
        "created_at": np.full(len(ids), window[0]),
        "country_code": country[chosen],
        "signup_device_id": signup_device[chosen],
        "signup_ip": signup_ip[chosen],
        "signup_channel": channel[chosen],
    }
    addresses = {
        "customer_id": address_owner.astype(np.int64),
        "address_id": address_id.astype(np.int64),
        "is_default": np.ones(len(address_id), dtype=bool),
    }
    counts = np.ones(len(ids), dtype=np.int64)
    return {"customers": stand_in, "addresses": addresses, "counts": counts, "customer_id": ids}


def _day_stamps(rng, window, n: int) -> np.ndarray:
    return window[0] + 60 + ((DAY_SECONDS - 120) * rng.random(n)).astype(np.int64)


def _move_orders(rng, platform: Platform, window) -> list[Change]:
    """Move older orders one status on (placed to paid, paid to shipped, shipped to delivered)."""
    order_id, status, total = platform.column(
        ps.orders,
        "order_id",
        "order_status",
        "order_total",
        where=ps.orders.c.ordered_at < platform.stamp(window[0]),
    )
    movable = np.flatnonzero(np.isin(status, list(NEXT_STATUS)))
    chosen = movable[rng.random(len(movable)) < 0.5]
    stamps = _day_stamps(rng, window, len(chosen))
    platform.update(
        ps.orders,
        [
            {
                "_key": int(order_id[i]),
                "order_status": NEXT_STATUS[status[i]],
                "updated_at": platform.stamp(t),
            }
            for i, t in zip(chosen, stamps, strict=True)
        ],
    )
    _capture_payments(
        platform,
        order_id[chosen][status[chosen] == "placed"],
        total[chosen][status[chosen] == "placed"],
        stamps[status[chosen] == "placed"],
    )
    return [("orders", int(order_id[i]), "status_change") for i in chosen]


def _capture_payments(platform: Platform, order_ids, totals, stamps) -> None:
    """Turn the pending payment of each newly paid order into a captured one."""
    payment_order, payment_id, payment_status = platform.column(
        ps.payments, "order_id", "payment_id", "payment_status"
    )
    pending = {
        int(o): int(p)
        for o, p, s in zip(payment_order, payment_id, payment_status, strict=True)
        if s == "pending"
    }
    rows = [
        {
            "_key": pending[int(o)],
            "payment_status": "captured",
            "paid_at": platform.stamp(t),
            "updated_at": platform.stamp(t),
        }
        for o, t in zip(order_ids, stamps, strict=True)
        if int(o) in pending
    ]
    platform.update(ps.payments, rows)


def _sample(rng, keys: np.ndarray, share: float, minimum: int) -> np.ndarray:
    count = min(len(keys), max(minimum, round(len(keys) * share)))
    return np.sort(rng.choice(keys, size=count, replace=False)) if count else keys[:0]


def _change_addresses(rng, platform: Platform, pools: Pools, window) -> list[Change]:
    """Move some customers to a new address in their country, keeping city, state and postcode consistent."""
    address_id, country = platform.column(
        ps.addresses, "address_id", "country_code", where=ps.addresses.c.deleted_at.is_(None)
    )
    index = _sample(rng, np.arange(len(address_id)), AdvanceRates().address_changes, 3)
    places = draw_places(rng, pools, country[index].astype(str))
    stamps = _day_stamps(rng, window, len(index))
    rows = [
        {
            "_key": int(address_id[i]),
            "line1": str(places.line1[k]),
            "line2": places.line2[k],
            "city": str(places.city[k]),
            "state": str(places.state[k]),
            "postcode": str(places.postcode[k]),
            "updated_at": platform.stamp(stamps[k]),
        }
        for k, i in enumerate(index)
    ]
    platform.update(ps.addresses, rows)
    return [("addresses", int(address_id[i]), "address_change") for i in index]


def _edit_contacts(rng, platform: Platform, window) -> list[Change]:
    """Edit emails (a new provider) and phones (the same number retyped without separators)."""
    ids, email, phone = platform.column(
        ps.customers, "customer_id", "email", "phone", where=ps.customers.c.deleted_at.is_(None)
    )
    index = _sample(rng, np.arange(len(ids)), AdvanceRates().contact_edits, 4)
    stamps = _day_stamps(rng, window, len(index))
    email_rows, phone_rows, changes = [], [], []
    for k, i in enumerate(index):
        if k % 2 == 0 and email[i]:
            local = str(email[i]).strip().split("@")[0]
            email_rows.append(
                {"_key": int(ids[i]), "email": f"{local}@proton.me", "updated_at": platform.stamp(stamps[k])}
            )
            changes.append(("customers", int(ids[i]), "email_edit"))
        elif phone[i]:
            digits = "".join(ch for ch in str(phone[i]) if ch.isdigit() or ch == "+")
            phone_rows.append({"_key": int(ids[i]), "phone": digits, "updated_at": platform.stamp(stamps[k])})
            changes.append(("customers", int(ids[i]), "phone_edit"))
    platform.update(ps.customers, email_rows)
    platform.update(ps.customers, phone_rows)
    return changes


def _soft_delete(rng, platform: Platform, window) -> list[Change]:
    """Soft delete some customers and their addresses: ``deleted_at`` set, ``updated_at`` bumped."""
    (ids,) = platform.column(ps.customers, "customer_id", where=ps.customers.c.deleted_at.is_(None))
    chosen = _sample(rng, ids.astype(np.int64), AdvanceRates().soft_deletes, 2)
    stamps = _day_stamps(rng, window, len(chosen))
    platform.update(
        ps.customers,
        [
            {"_key": int(c), "deleted_at": platform.stamp(t), "updated_at": platform.stamp(t)}
            for c, t in zip(chosen, stamps, strict=True)
        ],
    )
    owner, address_id = platform.column(ps.addresses, "customer_id", "address_id")
    when = dict(zip(chosen.tolist(), stamps.tolist(), strict=True))
    platform.update(
        ps.addresses,
        [
            {
                "_key": int(a),
                "deleted_at": platform.stamp(when[int(o)]),
                "updated_at": platform.stamp(when[int(o)]),
            }
            for o, a in zip(owner, address_id, strict=True)
            if int(o) in when
        ],
    )
    return [("customers", int(c), "soft_delete") for c in chosen]


def _late_updates(rng, platform: Platform) -> list[Change]:
    """Commit updates stamped 1-30 minutes before the latest ``updated_at`` already in each table."""
    changes: list[Change] = []
    for table, column, flip in (
        (ps.customers, "marketing_opt_in", None),
        (ps.orders, "order_status", "delivered"),
    ):
        latest = _epoch(platform.max_of(table.c.updated_at))
        keys, current, updated = platform.column(
            table, table.primary_key.columns.values()[0].name, column, "updated_at"
        )
        stamps = latest - rng.integers(60, 1800, len(keys))
        eligible = np.flatnonzero(np.array([_epoch(u) for u in updated]) < stamps)
        if flip is not None:
            eligible = eligible[current[eligible] == "shipped"]
        chosen = _sample(rng, eligible, AdvanceRates().late_updates, 3)
        rows = [
            {
                "_key": int(keys[i]),
                column: (not current[i]) if flip is None else flip,
                "updated_at": platform.stamp(stamps[i]),
            }
            for i in chosen
        ]
        platform.update(table, rows)
        changes += [(table.name, int(keys[i]), "late_update") for i in chosen]
    return changes


def _write_events(
    seed, step, new: dict, window, events_dir: Path, summary: SimulationSummary, progress
) -> None:
    events = EventBuilder(seed * 1000 + step)
    events.add_signups(new["customers"])
    rng = np.random.default_rng([seed, step, 202])
    events.add_purchases(rng, new["orders"], new["order_items"], new["buyers"])
    events.add_browsing(
        rng, max(5, len(new["orders"]["order_id"]) // 3), window, new["products"]["product_id"]
    )
    summary.event_files, summary.events = events.write(events_dir, progress, window)
