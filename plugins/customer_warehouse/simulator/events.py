"""Clickstream JSON-lines files, one per UTC day (more parts above ``MAX_LINES_PER_FILE``).

Each line is a JSON object with the columns of ``raw.shop_events``. Every customer has a
``signup`` event from its sign-up device and IP; every order has a purchase session
(optional login, product view, add to cart, checkout, purchase with the real order id);
anonymous visitors browse without a customer id. Lines are assembled column-wise from
pre-escaped JSON fragments, so every string that enters a line comes from a controlled pool
or is made of hex digits, digits and punctuation only.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from customer_warehouse.simulator.reference import COUNTRIES, SEARCH_TERMS, USER_AGENTS, UTC_OFFSETS
from customer_warehouse.simulator.settings import DAY_SECONDS, STORE_CURRENCY
from customer_warehouse.simulator.textops import STR, concat, iso_with_offset, pool, text, uuids, where

log = logging.getLogger(__name__)
MAX_LINES_PER_FILE = 200_000
BASE_URL = "https://shop.example.com"
EVENT_TYPES = (
    "page_view",
    "search",
    "product_view",
    "add_to_cart",
    "checkout",
    "purchase",
    "login",
    "signup",
)
PAGE_VIEW, SEARCH, PRODUCT_VIEW, ADD_TO_CART, CHECKOUT, PURCHASE, LOGIN, SIGNUP = range(8)
UA_CHANNELS = ("web", "ios", "android", "wechat_mini_program")
_MIX_A = np.uint64(0x9E3779B97F4A7C15)
_MIX_B = np.uint64(0xC2B2AE3D27D4EB4F)


@dataclass
class Sessions:
    """One row per visit: who, from which device and IP, in which app or browser."""

    customer: np.ndarray  # customer id, -1 for anonymous visitors
    device: np.ndarray
    ip: np.ndarray
    channel: np.ndarray  # index into UA_CHANNELS
    country: np.ndarray  # index into COUNTRIES


@dataclass
class Events:
    """One row per event, pointing at its session."""

    ts: np.ndarray
    kind: np.ndarray
    session: np.ndarray
    customer: np.ndarray
    product: np.ndarray
    order: np.ndarray
    value: np.ndarray  # quantity, item count or order total in cents, by event type


def _channel_index(channels: np.ndarray) -> np.ndarray:
    index = np.zeros(len(channels), dtype=np.int64)
    for i, name in enumerate(UA_CHANNELS):
        index[channels == name] = i
    return index


def _country_index(codes: np.ndarray) -> np.ndarray:
    index = np.zeros(len(codes), dtype=np.int64)
    for i, code in enumerate(COUNTRIES):
        index[codes == code] = i
    return index


def _hashed_hex(values: np.ndarray, salt: int, mix: np.uint64) -> np.ndarray:
    """Derive a stable 16-hex-digit id from integers (a bijection, so ids never collide)."""
    mixed = (values.astype(np.uint64) + np.uint64(salt)) * mix
    return (
        np.frombuffer(mixed.astype(">u8").tobytes().hex().encode("ascii"), dtype="S16")
        .astype(str)
        .astype(STR)
    )


class EventBuilder:
    """Collects sessions and events, then writes them as day files."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.session_parts: list[Sessions] = []
        self.event_parts: list[Events] = []
        self.session_count = 0

    def _add_sessions(self, sessions: Sessions) -> np.ndarray:
        ids = self.session_count + np.arange(len(sessions.customer))
        self.session_count += len(ids)
        self.session_parts.append(sessions)
        return ids

    def _add(self, ts, kind, session, customer, product=None, order=None, value=None) -> None:
        n = len(ts)
        missing = np.full(n, -1, dtype=np.int64)
        self.event_parts.append(
            Events(
                ts=np.asarray(ts, np.int64),
                kind=np.full(n, kind) if np.isscalar(kind) else kind,
                session=session,
                customer=customer,
                product=missing if product is None else product,
                order=missing if order is None else order,
                value=missing if value is None else value,
            )
        )

    def add_signups(self, customers: dict[str, np.ndarray]) -> None:
        """Add a sign-up visit for every customer, from its sign-up device and IP."""
        cid = customers["customer_id"]
        sessions = Sessions(
            customer=cid,
            device=customers["signup_device_id"].astype(STR),
            ip=customers["signup_ip"].astype(STR),
            channel=_channel_index(customers["signup_channel"].astype(STR)),
            country=_country_index(customers["country_code"].astype(STR)),
        )
        ids = self._add_sessions(sessions)
        none = np.full(len(cid), -1, dtype=np.int64)
        self._add(customers["created_at"] - 90, PAGE_VIEW, ids, none)
        self._add(customers["created_at"], SIGNUP, ids, cid)

    def add_purchases(self, rng: np.random.Generator, orders: dict, items: dict, customers: dict) -> None:
        """Add a purchase visit for every order; most reuse the customer's sign-up device."""
        row = np.searchsorted(customers["customer_id"], orders["customer_id"])
        n = len(row)
        same_device = rng.random(n) < 0.8
        device = where(
            same_device,
            customers["signup_device_id"][row].astype(STR),
            concat("web-", _hashed_hex(np.arange(n), self.seed, _MIX_B)),
        )
        ip = where(rng.random(n) < 0.6, customers["signup_ip"][row].astype(STR), _ips(rng, n))
        channel = np.where(same_device, _channel_index(customers["signup_channel"][row].astype(STR)), 0)
        sessions = Sessions(
            customer=orders["customer_id"],
            device=device,
            ip=ip,
            channel=channel,
            country=_country_index(customers["country_code"][row].astype(STR)),
        )
        ids = self._add_sessions(sessions)
        t, cid = orders["ordered_at"], orders["customer_id"]
        login = rng.random(n) < 0.3
        self._add(t[login] - 600, LOGIN, ids[login], cid[login])
        first = items["line_number"] == 1
        line_counts = np.bincount(np.searchsorted(orders["order_id"], items["order_id"]), minlength=n)
        self._add(t - 400, PRODUCT_VIEW, ids, cid, product=items["product_id"][first])
        self._add(
            t - 300, ADD_TO_CART, ids, cid, product=items["product_id"][first], value=items["quantity"][first]
        )
        self._add(t - 60, CHECKOUT, ids, cid, value=line_counts)
        self._add(t, PURCHASE, ids, cid, order=orders["order_id"], value=orders["order_total"])

    def add_browsing(
        self, rng: np.random.Generator, n: int, window: tuple[int, int], products: np.ndarray
    ) -> None:
        """Add ``n`` anonymous visits: a page view, sometimes a search, one or two product views."""
        sessions = Sessions(
            customer=np.full(n, -1, dtype=np.int64),
            device=concat("web-", _hashed_hex(np.arange(n) + self.session_count, self.seed, _MIX_A)),
            ip=_ips(rng, n),
            channel=rng.choice(3, size=n, p=(0.6, 0.2, 0.2)),
            country=rng.choice(len(COUNTRIES), size=n, p=(0.44, 0.32, 0.08, 0.09, 0.07)),
        )
        ids = self._add_sessions(sessions)
        start = window[0] + 600 + ((window[1] - window[0] - 1200) * rng.random(n)).astype(np.int64)
        none = np.full(n, -1, dtype=np.int64)
        self._add(start, PAGE_VIEW, ids, none)
        searched = rng.random(n) < 0.5
        self._add(
            start[searched] + 30,
            SEARCH,
            ids[searched],
            none[searched],
            value=rng.integers(0, len(SEARCH_TERMS), int(searched.sum())),
        )
        self._add(start + 90, PRODUCT_VIEW, ids, none, product=rng.choice(products, n))
        twice = rng.random(n) < 0.4
        self._add(
            start[twice] + 150,
            PRODUCT_VIEW,
            ids[twice],
            none[twice],
            product=rng.choice(products, int(twice.sum())),
        )

    def write(
        self, events_dir: Path, progress: bool = True, window: tuple[int, int] | None = None
    ) -> tuple[int, int]:
        """Write one file per UTC day; return (files written, events written).

        With ``window``, event times are clamped into it, so only that window's day files are written.
        """
        events_dir.mkdir(parents=True, exist_ok=True)
        if window is not None:
            for part in self.event_parts:
                part.ts = np.clip(part.ts, window[0], window[1] - 1)
        sessions = Sessions(
            *(
                np.concatenate([getattr(s, f) for s in self.session_parts])
                for f in Sessions.__dataclass_fields__
            )
        )
        ev = Events(
            *(np.concatenate([getattr(e, f) for e in self.event_parts]) for f in Events.__dataclass_fields__)
        )
        order = np.lexsort((ev.kind, ev.session, ev.ts))
        ev = Events(*(getattr(ev, f)[order] for f in Events.__dataclass_fields__))
        days = ev.ts // DAY_SECONDS
        bounds = np.r_[0, np.flatnonzero(np.diff(days)) + 1, len(days)]
        files = 0
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            day = int(days[lo])
            lines = _render(
                np.random.default_rng([self.seed, day, 7]), sessions, ev, slice(lo, hi), self.seed
            )
            files += _write_day(events_dir, day, lines)
            if progress and files % 30 == 0:
                log.info("events: wrote %s files, up to day %s", files, np.datetime64(day, "D"))
        return files, len(ev.ts)


def _ips(rng: np.random.Generator, n: int) -> np.ndarray:
    octets = [
        text(rng.integers(1, 224, n)),
        text(rng.integers(0, 256, n)),
        text(rng.integers(0, 256, n)),
        text(rng.integers(1, 255, n)),
    ]
    return concat(octets[0], ".", octets[1], ".", octets[2], ".", octets[3])


def _quoted(values: np.ndarray) -> np.ndarray:
    return concat('"', values, '"')


def _nullable_int(values: np.ndarray) -> np.ndarray:
    return where(values < 0, "null", text(values))


def _properties(ev: Events, rows: slice, sessions: Sessions, session: np.ndarray) -> np.ndarray:
    kind, value = ev.kind[rows], ev.value[rows]
    safe_value = np.maximum(value, 0)
    money = concat(text(safe_value // 100), ".", np.strings.zfill(text(safe_value % 100), 2))
    terms = pool([json.dumps(t) for t in SEARCH_TERMS])[np.clip(value, 0, len(SEARCH_TERMS) - 1)]
    channels = pool([json.dumps(c) for c in UA_CHANNELS])[sessions.channel[session]]
    out = np.full(len(kind), "{}", dtype=STR)
    out = where(kind == SEARCH, concat('{"query": ', terms, "}"), out)
    out = where(kind == ADD_TO_CART, concat('{"quantity": ', text(safe_value), "}"), out)
    out = where(kind == CHECKOUT, concat('{"items": ', text(safe_value), "}"), out)
    out = where(
        kind == PURCHASE, concat('{"order_total": "', money, f'", "currency": "{STORE_CURRENCY}"}}'), out
    )
    out = where(kind == SIGNUP, concat('{"channel": ', channels, "}"), out)
    return where(kind == LOGIN, '{"method": "password"}', out)


def _page_urls(ev: Events, rows: slice) -> np.ndarray:
    kind = ev.kind[rows]
    paths = pool(
        ["/", "/search", "/p/", "/cart", "/checkout", "/checkout/confirmation/", "/login", "/signup"]
    )
    url = concat(BASE_URL, paths[kind])
    url = where(kind == PRODUCT_VIEW, concat(url, text(np.maximum(ev.product[rows], 0))), url)
    terms = pool([t.replace(" ", "+") for t in SEARCH_TERMS])[
        np.clip(ev.value[rows], 0, len(SEARCH_TERMS) - 1)
    ]
    url = where(kind == SEARCH, concat(url, "?q=", terms), url)
    return where(kind == PURCHASE, concat(url, text(np.maximum(ev.order[rows], 0))), url)


def _render(rng: np.random.Generator, sessions: Sessions, ev: Events, rows: slice, seed: int) -> np.ndarray:
    session = ev.session[rows]
    n = len(session)
    offsets = pool([UTC_OFFSETS[c] for c in COUNTRIES])[sessions.country[session]]
    offset_seconds = np.array([_offset_seconds(UTC_OFFSETS[c]) for c in COUNTRIES])[sessions.country[session]]
    agents = [pool([json.dumps(a) for a in USER_AGENTS[ch]]) for ch in UA_CHANNELS]
    ua = np.full(n, "", dtype=STR)
    for i, pool_of_channel in enumerate(agents):
        chosen = sessions.channel[session] == i
        ua[chosen] = pool_of_channel[session[chosen] % len(pool_of_channel)]
    fields = (
        ("event_id", _quoted(uuids(rng, n))),
        ("event_type", _quoted(pool(EVENT_TYPES)[ev.kind[rows]])),
        ("occurred_at", _quoted(iso_with_offset(ev.ts[rows], offset_seconds, offsets))),
        ("session_id", _quoted(_hashed_hex(session, seed, _MIX_A))),
        ("customer_id", _nullable_int(ev.customer[rows])),
        ("anonymous_id", _quoted(concat("anon-", _hashed_hex(session, seed + 1, _MIX_B)))),
        ("device_id", _quoted(sessions.device[session])),
        ("ip", _quoted(sessions.ip[session])),
        ("page_url", _quoted(_page_urls(ev, rows))),
        ("product_id", _nullable_int(ev.product[rows])),
        ("order_id", _nullable_int(ev.order[rows])),
        ("user_agent", ua),
        ("properties", _properties(ev, rows, sessions, session)),
    )
    parts: list[np.ndarray | str] = []
    for i, (name, value) in enumerate(fields):
        parts.extend(["{" if i == 0 else ", ", f'"{name}": ', value])
    return concat(np.full(n, "", dtype=STR), *parts, "}")


def _offset_seconds(offset: str) -> int:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset[1:].split(":")
    return sign * (int(hours) * 3600 + int(minutes) * 60)


def _write_day(events_dir: Path, day: int, lines: np.ndarray) -> int:
    name = str(np.datetime64(day, "D"))
    parts = max(1, -(-len(lines) // MAX_LINES_PER_FILE))
    for part in range(parts):
        suffix = "" if part == 0 else f"-part{part + 1}"
        chunk = lines[part * MAX_LINES_PER_FILE : (part + 1) * MAX_LINES_PER_FILE]
        path = events_dir / f"events-{name}{suffix}.jsonl"
        path.write_text("\n".join(chunk.tolist()) + "\n", encoding="utf-8")
    return parts
