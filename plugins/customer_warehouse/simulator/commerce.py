"""Addresses, products, orders, order items, payments and reviews, generated column-wise.

Amounts are integer cents in one store currency (USD) for every product and order, so
revenue sums across countries need no exchange rates. The invariants a test can check:

- ``order_total = sum(quantity * unit_price - discount_amount) + shipping_amount``;
- for orders paid, shipped or delivered, captured payments minus refunded payments equal
  ``order_total`` (a double charge is captured twice and refunded once);
- returned orders are captured and refunded in full; cancelled orders capture nothing net.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from customer_warehouse.simulator.places import Places, draw_places
from customer_warehouse.simulator.pools import Pools
from customer_warehouse.simulator.reference import CATEGORIES, PRODUCT_ADJECTIVES, REVIEW_TEXT
from customer_warehouse.simulator.settings import DAY_SECONDS, STORE_CURRENCY
from customer_warehouse.simulator.textops import NULL_TS, concat, pool, ranks, zpad

Columns = dict[str, np.ndarray]
PAID_STATUSES = ("paid", "shipped", "delivered")


def addresses(
    rng: np.random.Generator, pools: Pools, customers: Columns, home: Places, first_id: int
) -> Columns:
    """Give each customer its home address and up to two more (billing, another shipping address)."""
    n = len(customers["customer_id"])
    extra = rng.choice(3, size=n, p=(0.6, 0.3, 0.1))
    owner = np.r_[np.arange(n), np.repeat(np.arange(n), extra)]
    order = np.argsort(owner, kind="stable")
    owner = owner[order]
    position = ranks(owner)
    others = draw_places(rng, pools, customers["country_code"][np.repeat(np.arange(n), extra)])
    places = Places(
        *(np.concatenate([getattr(home, f), getattr(others, f)]) for f in Places.__dataclass_fields__)
    )
    places = places.take(order)
    created = customers["created_at"][owner] + np.where(
        position == 0, 0, rng.integers(DAY_SECONDS, 90 * DAY_SECONDS, len(owner))
    )
    created = np.minimum(created, np.maximum(customers["updated_at"][owner], customers["created_at"][owner]))
    deleted = customers["deleted_at"][owner]
    return {
        "address_id": first_id + np.arange(len(owner)),
        "customer_id": customers["customer_id"][owner],
        "address_type": np.where(position == 1, "billing", "shipping").astype(object),
        "line1": places.line1.astype(object),
        "line2": places.line2,
        "city": places.city.astype(object),
        "state": places.state.astype(object),
        "postcode": places.postcode.astype(object),
        "country_code": customers["country_code"][owner],
        "is_default": position == 0,
        "created_at": created,
        "updated_at": np.where(deleted != NULL_TS, deleted, created),
        "deleted_at": deleted,
    }


def products(rng: np.random.Generator, n: int, created_before: int) -> Columns:
    categories = list(CATEGORIES)
    category = rng.integers(0, len(categories), n)
    noun_index = rng.integers(0, 6, n)
    nouns = np.array(
        [CATEGORIES[categories[c]][0][k] for c, k in zip(category, noun_index, strict=True)], dtype=object
    )
    adjective = pool(PRODUCT_ADJECTIVES)[rng.integers(0, len(PRODUCT_ADJECTIVES), n)]
    median = np.array([CATEGORIES[c][1] for c in categories])[category]
    price = np.maximum(99, (median * rng.lognormal(0, 0.5, n)).astype(np.int64) // 100 * 100 - 1)
    created = created_before - rng.integers(DAY_SECONDS, 400 * DAY_SECONDS, n)
    return {
        "product_id": np.arange(1, n + 1),
        "sku": concat("SKU-", zpad(np.arange(1, n + 1), 6)).astype(object),
        "product_name": concat(adjective, " ", nouns.astype(str).astype(adjective.dtype)).astype(object),
        "category": np.array(categories, dtype=object)[category],
        "unit_price": price,
        "currency": np.full(n, STORE_CURRENCY, dtype=object),
        "created_at": created,
        "updated_at": created,
        "deleted_at": np.full(n, NULL_TS, dtype=np.int64),
    }


def order_counts(rng: np.random.Generator, is_fake: np.ndarray, is_duplicate: np.ndarray) -> np.ndarray:
    """Draw orders per customer: many one-time buyers, a heavy tail, fakes rarely order (mean about 2.5)."""
    n = len(is_fake)
    kind = rng.choice(3, size=n, p=(0.15, 0.35, 0.5))
    heavy = 2 + rng.poisson(rng.gamma(0.5, 2.3 / 0.5, n))
    counts = np.where(kind == 0, 0, np.where(kind == 1, 1, heavy))
    counts = np.where(is_duplicate, np.minimum(counts, rng.integers(0, 3, n)), counts)
    return np.where(is_fake, (rng.random(n) < 0.15).astype(np.int64), counts)


@dataclass
class Shop:
    """Every commerce table of one run."""

    orders: Columns
    order_items: Columns
    payments: Columns
    reviews: Columns


def orders(
    rng: np.random.Generator, customers: Columns, addr: Columns, counts: np.ndarray, window, first_ids
):
    """Place orders between each customer's sign-up and the end of ``window``; ids follow ``ordered_at``."""
    t1 = window[1]
    counts = np.where(customers["created_at"] > t1 - 3600, 0, counts)  # too new to have ordered yet
    owner = np.repeat(np.arange(len(counts)), counts)
    created = customers["created_at"][owner]
    ordered = created + 600 + ((t1 - 1200 - created) * rng.random(len(owner)) ** 0.7).astype(np.int64)
    order = np.lexsort((owner, ordered))
    owner, ordered = owner[order], ordered[order]
    default_address = _default_address(addr, customers["customer_id"])
    age = t1 - ordered
    status = _statuses(rng, age)
    return owner, ordered, status, default_address[owner], first_ids


def _default_address(addr: Columns, customer_ids: np.ndarray) -> np.ndarray:
    defaults = addr["is_default"]
    lookup = dict(
        zip(addr["customer_id"][defaults].tolist(), addr["address_id"][defaults].tolist(), strict=True)
    )
    return np.array([lookup[c] for c in customer_ids.tolist()], dtype=np.int64)


def _statuses(rng: np.random.Generator, age_seconds: np.ndarray) -> np.ndarray:
    n = len(age_seconds)
    days = age_seconds / DAY_SECONDS
    status = np.where(
        days < 0.1, "placed", np.where(days < 1, "paid", np.where(days < 5, "shipped", "delivered"))
    )
    status = status.astype(object)
    roll = rng.random(n)
    status[roll < 0.05] = "cancelled"
    status[(roll >= 0.05) & (roll < 0.08) & (days > 10)] = "returned"
    status[(roll >= 0.08) & (roll < 0.09) & (days > 2)] = "placed"  # never paid, left open
    return status


def build_shop(
    rng: np.random.Generator, customers: Columns, addr: Columns, prod: Columns, counts, window, first_ids
):
    """Build orders, items, payments and reviews; ``first_ids`` maps each table to its first id."""
    owner, ordered, status, ship_to, _ = orders(rng, customers, addr, counts, window, first_ids)
    n = len(owner)
    order_id = first_ids["orders"] + np.arange(n)
    items = _items(rng, order_id, ordered, prod, first_ids["order_items"])
    subtotal = np.bincount(items.pop("_order_index"), weights=items["_line_total"], minlength=n).astype(
        np.int64
    )
    del items["_line_total"]
    shipping = np.where(subtotal >= 5000, 0, np.where(rng.random(n) < 0.7, 499, 799))
    total = subtotal + shipping
    last_change = ordered + np.minimum(window[1] - 1 - ordered, _status_delay(rng, status))
    order_cols = {
        "order_id": order_id,
        "customer_id": customers["customer_id"][owner],
        "shipping_address_id": ship_to,
        "order_status": status,
        "currency": np.full(n, STORE_CURRENCY, dtype=object),
        "shipping_amount": shipping,
        "order_total": total,
        "ordered_at": ordered,
        "created_at": ordered,
        "updated_at": last_change,
        "deleted_at": np.full(n, NULL_TS, dtype=np.int64),
    }
    pay = payments(rng, order_id, status, total, ordered, last_change, first_ids["payments"])
    rev = reviews(rng, order_cols, items, window[1], first_ids["reviews"])
    return Shop(orders=order_cols, order_items=items, payments=pay, reviews=rev)


def _status_delay(rng: np.random.Generator, status: np.ndarray) -> np.ndarray:
    delay = {
        "placed": 0,
        "paid": 900,
        "shipped": DAY_SECONDS,
        "delivered": 4 * DAY_SECONDS,
        "cancelled": 3600,
        "returned": 15 * DAY_SECONDS,
    }
    base = np.array([delay[s] for s in status.tolist()], dtype=np.int64)
    return base + (base * rng.random(len(status))).astype(np.int64)


def _items(rng: np.random.Generator, order_id: np.ndarray, ordered: np.ndarray, prod: Columns, first_id: int):
    n = len(order_id)
    lines = rng.choice(np.arange(1, 5), size=n, p=(0.5, 0.28, 0.14, 0.08))
    index = np.repeat(np.arange(n), lines)
    popularity = 1.0 / np.arange(1, len(prod["product_id"]) + 1) ** 0.9
    product = rng.choice(len(popularity), size=len(index), p=popularity / popularity.sum())
    quantity = rng.choice(np.arange(1, 4), size=len(index), p=(0.8, 0.15, 0.05))
    price = prod["unit_price"][product]
    discounted = rng.random(len(index)) < 0.2
    discount = np.where(
        discounted, (quantity * price * rng.uniform(0.05, 0.2, len(index))).astype(np.int64), 0
    )
    return {
        "order_item_id": first_id + np.arange(len(index)),
        "order_id": order_id[index],
        "line_number": ranks(index) + 1,
        "product_id": prod["product_id"][product],
        "quantity": quantity,
        "unit_price": price,
        "discount_amount": discount,
        "created_at": ordered[index],
        "updated_at": ordered[index],
        "_order_index": index,
        "_line_total": quantity * price - discount,
    }


def payments(rng, order_id, status, total, ordered, last_change, first_id: int) -> Columns:
    """Write payment rows: split payments, failed attempts then retries, double charges refunded."""
    n = len(order_id)
    rows: list[tuple[np.ndarray, ...]] = []
    paid = np.isin(status, (*PAID_STATUSES, "returned"))
    split = paid & (rng.random(n) < 0.08)
    first_share = np.where(split, (total * rng.uniform(0.2, 0.8, n)).astype(np.int64), total)
    failed_first = (paid | (status == "cancelled")) & (rng.random(n) < 0.06)
    double = paid & (status != "returned") & (rng.random(n) < 0.01)
    method = np.array(["card", "paypal", "alipay", "wechat_pay", "pix", "klarna"], dtype=object)[
        rng.integers(0, 6, n)
    ]

    def add(mask, amount, state, method_values, at):
        rows.append(
            (
                np.flatnonzero(mask),
                amount[mask],
                np.full(int(mask.sum()), state, dtype=object),
                method_values[mask],
                at[mask],
            )
        )

    add(failed_first, total, "failed", method, ordered)
    add(paid, first_share, "captured", method, ordered + 60)
    add(split, total - first_share, "captured", np.full(n, "gift_card", dtype=object), ordered + 60)
    add(double, total, "captured", method, ordered + 61)
    add(double, total, "refunded", method, ordered + DAY_SECONDS)
    add(status == "returned", total, "refunded", method, last_change)
    add(status == "placed", total, "pending", method, np.full(n, NULL_TS, dtype=np.int64))
    index, amount, state, method_col, paid_at = (np.concatenate(parts) for parts in zip(*rows, strict=True))
    order = np.lexsort((np.arange(len(index)), index))
    index, amount, state, method_col, paid_at = (
        a[order] for a in (index, amount, state, method_col, paid_at)
    )
    stamp = np.where(paid_at == NULL_TS, ordered[index], paid_at)
    return {
        "payment_id": first_id + np.arange(len(index)),
        "order_id": order_id[index],
        "payment_method": method_col,
        "payment_status": state,
        "amount": amount,
        "currency": np.full(len(index), STORE_CURRENCY, dtype=object),
        "paid_at": paid_at,
        "created_at": stamp,
        "updated_at": stamp,
    }


def reviews(
    rng: np.random.Generator, order_cols: Columns, items: Columns, end: int, first_id: int
) -> Columns:
    """Review the first line of about a quarter of delivered orders."""
    delivered = order_cols["order_status"] == "delivered"
    chosen = np.flatnonzero(delivered & (rng.random(len(delivered)) < 0.25))
    first_line = np.flatnonzero(items["line_number"] == 1)  # one per order, in order-id order
    rating = rng.choice(np.arange(1, 6), size=len(chosen), p=(0.1, 0.08, 0.12, 0.25, 0.45))
    variant = rng.integers(0, 2, len(chosen))
    title = np.array([REVIEW_TEXT[r][v][0] for r, v in zip(rating, variant, strict=True)], dtype=object)
    body = np.array([REVIEW_TEXT[r][v][1] for r, v in zip(rating, variant, strict=True)], dtype=object)
    written = np.minimum(
        order_cols["updated_at"][chosen] + rng.integers(3600, 20 * DAY_SECONDS, len(chosen)), end - 1
    )
    deleted = np.where(rng.random(len(chosen)) < 0.02, written + 60, NULL_TS)
    return {
        "review_id": first_id + np.arange(len(chosen)),
        "order_id": order_cols["order_id"][chosen],
        "customer_id": order_cols["customer_id"][chosen],
        "product_id": items["product_id"][first_line[chosen]],
        "rating": rating,
        "title": title,
        "body": body,
        "created_at": written,
        "updated_at": np.where(deleted == NULL_TS, written, deleted),
        "deleted_at": deleted,
    }
