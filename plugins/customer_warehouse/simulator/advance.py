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

from customer_warehouse import platform_schema as ps
from customer_warehouse.db import engine as make_engine
from customer_warehouse.simulator import commerce, truth, writer
from customer_warehouse.simulator.events import EventBuilder
from customer_warehouse.simulator.places import draw_places
from customer_warehouse.simulator.platform_rows import Platform, epoch_seconds
from customer_warehouse.simulator.pools import Pools, build_pools
from customer_warehouse.simulator.population import build_population, customer_columns
from customer_warehouse.simulator.run import defect_counts
from customer_warehouse.simulator.settings import DAY_SECONDS, AdvanceRates, DefectRates, SimulationSummary

log = logging.getLogger(__name__)
NEXT_STATUS = {"placed": "paid", "paid": "shipped", "shipped": "delivered"}
Change = tuple[str, int, str]


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
    """Choose today's buyers among active customers with their default addresses."""
    n_orders = int(platform.max_of(ps.orders.c.order_id) or 0)
    active = ps.customers.c.deleted_at.is_(None)
    ids, country, signup_device, signup_ip, channel = platform.sample(
        rng,
        ps.customers,
        0.0,
        max(10, round(n_orders * rates.new_orders)),
        "customer_id",
        "country_code",
        "signup_device_id",
        "signup_ip",
        "signup_channel",
        where=active,
    )
    ids = ids.astype(np.int64)
    address_id, address_owner = platform.rows_with_keys(
        ps.addresses,
        ps.addresses.c.customer_id,
        ids,
        "address_id",
        "customer_id",
        where=ps.addresses.c.is_default.is_(True),
    )
    # Orders are built with stand-in customers created at the start of the day, so every order falls on it.
    stand_in = {
        "customer_id": ids,
        "created_at": np.full(len(ids), window[0]),
        "country_code": country,
        "signup_device_id": signup_device,
        "signup_ip": signup_ip,
        "signup_channel": channel,
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
        where=sa.and_(
            ps.orders.c.ordered_at < platform.stamp(window[0]),
            ps.orders.c.order_status.in_(list(NEXT_STATUS)),
        ),
    )
    chosen = np.flatnonzero(rng.random(len(order_id)) < 0.5)
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
    paid_now = status[chosen] == "placed"
    _capture_payments(platform, order_id[chosen][paid_now], stamps[paid_now])
    return [("orders", int(order_id[i]), "status_change") for i in chosen]


def _capture_payments(platform: Platform, order_ids: np.ndarray, stamps: np.ndarray) -> None:
    """Turn the pending payment of each newly paid order into a captured one."""
    payment_id, payment_order = platform.rows_with_keys(
        ps.payments,
        ps.payments.c.order_id,
        order_ids,
        "payment_id",
        "order_id",
        where=ps.payments.c.payment_status == "pending",
    )
    pending = {int(o): int(p) for o, p in zip(payment_order, payment_id, strict=True)}
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


def _change_addresses(rng, platform: Platform, pools: Pools, window) -> list[Change]:
    """Move some customers to a new address in their country, keeping city, state and postcode consistent."""
    address_id, country = platform.sample(
        rng,
        ps.addresses,
        AdvanceRates().address_changes,
        3,
        "address_id",
        "country_code",
        where=ps.addresses.c.deleted_at.is_(None),
    )
    places = draw_places(rng, pools, country.astype(str))
    stamps = _day_stamps(rng, window, len(address_id))
    rows = [
        {
            "_key": int(address_id[k]),
            "line1": str(places.line1[k]),
            "line2": places.line2[k],
            "city": str(places.city[k]),
            "state": str(places.state[k]),
            "postcode": str(places.postcode[k]),
            "updated_at": platform.stamp(stamps[k]),
        }
        for k in range(len(address_id))
    ]
    platform.update(ps.addresses, rows)
    return [("addresses", int(a), "address_change") for a in address_id]


def _edit_contacts(rng, platform: Platform, window) -> list[Change]:
    """Edit emails (a new provider) and phones (the same number retyped without separators)."""
    ids, email, phone = platform.sample(
        rng,
        ps.customers,
        AdvanceRates().contact_edits,
        4,
        "customer_id",
        "email",
        "phone",
        where=ps.customers.c.deleted_at.is_(None),
    )
    stamps = _day_stamps(rng, window, len(ids))
    email_rows, phone_rows, changes = [], [], []
    for k in range(len(ids)):
        if k % 2 == 0 and email[k]:
            local = str(email[k]).strip().split("@")[0]
            email_rows.append(
                {"_key": int(ids[k]), "email": f"{local}@proton.me", "updated_at": platform.stamp(stamps[k])}
            )
            changes.append(("customers", int(ids[k]), "email_edit"))
        elif phone[k]:
            digits = "".join(ch for ch in str(phone[k]) if ch.isdigit() or ch == "+")
            phone_rows.append({"_key": int(ids[k]), "phone": digits, "updated_at": platform.stamp(stamps[k])})
            changes.append(("customers", int(ids[k]), "phone_edit"))
    platform.update(ps.customers, email_rows)
    platform.update(ps.customers, phone_rows)
    return changes


def _soft_delete(rng, platform: Platform, window) -> list[Change]:
    """Soft delete some customers and their addresses: ``deleted_at`` set, ``updated_at`` bumped."""
    (chosen,) = platform.sample(
        rng,
        ps.customers,
        AdvanceRates().soft_deletes,
        2,
        "customer_id",
        where=ps.customers.c.deleted_at.is_(None),
    )
    chosen = chosen.astype(np.int64)
    stamps = _day_stamps(rng, window, len(chosen))
    platform.update(
        ps.customers,
        [
            {"_key": int(c), "deleted_at": platform.stamp(t), "updated_at": platform.stamp(t)}
            for c, t in zip(chosen, stamps, strict=True)
        ],
    )
    address_id, owner = platform.rows_with_keys(
        ps.addresses, ps.addresses.c.customer_id, chosen, "address_id", "customer_id"
    )
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
        ],
    )
    return [("customers", int(c), "soft_delete") for c in chosen]


def _late_updates(rng, platform: Platform) -> list[Change]:
    """Commit updates stamped 1-30 minutes before the latest ``updated_at`` already in each table.

    Only rows last updated more than 30 minutes before that latest stamp are eligible, so
    every late update still moves its row's ``updated_at`` forward.
    """
    changes: list[Change] = []
    for table, column, flip in (
        (ps.customers, "marketing_opt_in", None),
        (ps.orders, "order_status", "delivered"),
    ):
        latest = epoch_seconds(platform.max_of(table.c.updated_at))
        eligible = table.c.updated_at < platform.stamp(latest - 1800)
        if flip is not None:
            eligible = sa.and_(eligible, table.c[column] == "shipped")
        key = table.primary_key.columns.values()[0].name
        keys, current = platform.sample(
            rng, table, AdvanceRates().late_updates, 3, key, column, where=eligible
        )
        stamps = latest - rng.integers(60, 1800, len(keys))
        rows = [
            {
                "_key": int(keys[i]),
                column: (not current[i]) if flip is None else flip,
                "updated_at": platform.stamp(stamps[i]),
            }
            for i in range(len(keys))
        ]
        platform.update(table, rows)
        changes += [(table.name, int(k), "late_update") for k in keys]
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
