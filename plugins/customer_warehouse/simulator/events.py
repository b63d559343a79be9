"""Clickstream JSON-lines files, one per UTC day (see ``eventfiles`` for the file layout).

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
import pyarrow as pa
import pyarrow.compute as pc

from customer_warehouse.simulator import arrowtext
from customer_warehouse.simulator.eventfiles import DaySpool
from customer_warehouse.simulator.reference import COUNTRIES, SEARCH_TERMS, USER_AGENTS, UTC_OFFSETS
from customer_warehouse.simulator.settings import DAY_SECONDS, STORE_CURRENCY
from customer_warehouse.simulator.textops import STR, concat, text, where

log = logging.getLogger(__name__)
# Events rendered at once, which bounds the transient pyarrow buffers of rendering (an
# estimated 1-2 kB per event, because every field is built as its own string column first).
# Events are sorted by time first, so one batch touches only a few consecutive day files.
EVENT_BATCH = 50_000
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


def _hashed_text(values: np.ndarray, salt: int, mix: np.uint64) -> pa.StringArray:
    """Return the ids of ``_hashed_hex`` as a pyarrow string array."""
    return arrowtext.hex_digits((values.astype(np.uint64) + np.uint64(salt)) * mix)


class EventBuilder:
    """Collects sessions and events, then renders them into day files.

    ``first_session`` and ``first_purchase`` continue the session and purchase-visit
    numbering of earlier builders of the same run, so ids derived from them stay unique.
    """

    def __init__(self, seed: int, first_session: int = 0, first_purchase: int = 0) -> None:
        self.seed = seed
        self.session_parts: list[Sessions] = []
        self.event_parts: list[Events] = []
        self.first_session = first_session
        self.session_count = first_session
        self.purchase_count = first_purchase

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
            concat("web-", _hashed_hex(self.purchase_count + np.arange(n), self.seed, _MIX_B)),
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
        self.purchase_count += n
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
        spool = DaySpool(events_dir, self.seed)
        try:
            self.spool(spool, window)
        except BaseException:
            spool.discard()
            raise
        return spool.finish(progress)

    def spool(self, spool: DaySpool, window: tuple[int, int] | None = None) -> int:
        """Render every collected event into ``spool``, then forget them; return the events rendered.

        With ``window``, event times are clamped into it first.
        """
        if not self.event_parts:
            return 0
        sessions = self._sessions()
        ev = Events(
            *(np.concatenate([getattr(e, f) for e in self.event_parts]) for f in Events.__dataclass_fields__)
        )
        if window is not None:
            ev.ts = np.clip(ev.ts, window[0], window[1] - 1)
        order = np.lexsort((ev.kind, ev.session, ev.ts))
        ev = Events(*(getattr(ev, f)[order] for f in Events.__dataclass_fields__))
        days = ev.ts // DAY_SECONDS
        keys = ((ev.ts - days * DAY_SECONDS) << 40) | (ev.session << 3) | ev.kind
        for lo in range(0, len(days), EVENT_BATCH):
            rows = slice(lo, min(lo + EVENT_BATCH, len(days)))
            bodies = _render(sessions, ev, rows, self.seed, self.first_session)
            _append_days(spool, days[rows], keys[rows], bodies)
        self.session_parts, self.event_parts = [], []
        return len(days)

    def _sessions(self) -> Sessions:
        merged = Sessions(
            *(
                np.concatenate([getattr(s, f) for s in self.session_parts])
                for f in Sessions.__dataclass_fields__
            )
        )
        merged.device = pa.array(merged.device, type=pa.string())
        merged.ip = pa.array(merged.ip, type=pa.string())
        return merged


def _append_days(spool: DaySpool, days: np.ndarray, keys: np.ndarray, bodies: pa.StringArray) -> None:
    """Append sorted rendered lines to the spool, one contiguous run of rows per day."""
    bounds = np.r_[0, np.flatnonzero(np.diff(days)) + 1, len(days)]
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        spool.append(int(days[lo]), keys[lo:hi], bodies.slice(lo, hi - lo))


def _ips(rng: np.random.Generator, n: int) -> np.ndarray:
    octets = [
        text(rng.integers(1, 224, n)),
        text(rng.integers(0, 256, n)),
        text(rng.integers(0, 256, n)),
        text(rng.integers(1, 255, n)),
    ]
    return concat(octets[0], ".", octets[1], ".", octets[2], ".", octets[3])


def _nullable_int(values: np.ndarray) -> pa.StringArray:
    return arrowtext.choose(values < 0, "null", arrowtext.integers(values))


def _quoted_pool(values) -> list[str]:
    return [json.dumps(v) for v in values]


def _properties(kind: np.ndarray, value: np.ndarray, channel: np.ndarray) -> pa.StringArray:
    safe_value = np.maximum(value, 0)
    count = arrowtext.integers(safe_value)
    cents = pc.utf8_lpad(arrowtext.integers(safe_value % 100), width=2, padding="0")
    money = arrowtext.join(arrowtext.integers(safe_value // 100), ".", cents)
    terms = arrowtext.lookup(_quoted_pool(SEARCH_TERMS), np.clip(value, 0, len(SEARCH_TERMS) - 1))
    channels = arrowtext.lookup(_quoted_pool(UA_CHANNELS), channel)
    out = arrowtext.choose(kind == SEARCH, arrowtext.join('{"query": ', terms, "}"), "{}")
    out = arrowtext.choose(kind == ADD_TO_CART, arrowtext.join('{"quantity": ', count, "}"), out)
    out = arrowtext.choose(kind == CHECKOUT, arrowtext.join('{"items": ', count, "}"), out)
    purchase = arrowtext.join('{"order_total": "', money, f'", "currency": "{STORE_CURRENCY}"}}')
    out = arrowtext.choose(kind == PURCHASE, purchase, out)
    out = arrowtext.choose(kind == SIGNUP, arrowtext.join('{"channel": ', channels, "}"), out)
    return arrowtext.choose(kind == LOGIN, '{"method": "password"}', out)


def _page_urls(kind: np.ndarray, product: np.ndarray, order: np.ndarray, value: np.ndarray) -> pa.StringArray:
    paths = ["/", "/search", "/p/", "/cart", "/checkout", "/checkout/confirmation/", "/login", "/signup"]
    url = arrowtext.lookup([BASE_URL + p for p in paths], kind)
    url = arrowtext.choose(
        kind == PRODUCT_VIEW, arrowtext.join(url, arrowtext.integers(np.maximum(product, 0))), url
    )
    terms = arrowtext.lookup(
        [t.replace(" ", "+") for t in SEARCH_TERMS], np.clip(value, 0, len(SEARCH_TERMS) - 1)
    )
    url = arrowtext.choose(kind == SEARCH, arrowtext.join(url, "?q=", terms), url)
    return arrowtext.choose(
        kind == PURCHASE, arrowtext.join(url, arrowtext.integers(np.maximum(order, 0))), url
    )


def _user_agents(channel: np.ndarray, session: np.ndarray) -> pa.StringArray:
    """Pick each session's user agent from its channel's pool, by session id."""
    flat: list[str] = []
    index = np.zeros(len(session), dtype=np.int64)
    for i, name in enumerate(UA_CHANNELS):
        agents = _quoted_pool(USER_AGENTS[name])
        chosen = channel == i
        index[chosen] = len(flat) + session[chosen] % len(agents)
        flat.extend(agents)
    return arrowtext.lookup(flat, index)


def _occurred_at(ts: np.ndarray, country: np.ndarray) -> pa.StringArray:
    """Format epoch seconds as local ISO 8601 times with the UTC offset of each session's country."""
    offset_seconds = np.array([_offset_seconds(UTC_OFFSETS[c]) for c in COUNTRIES])[country]
    local = pa.array(ts + offset_seconds, type=pa.int64()).cast(pa.timestamp("s"))
    offsets = arrowtext.lookup([UTC_OFFSETS[c] for c in COUNTRIES], country)
    # A cast gives "2025-01-01 00:00:00" about 30 times faster than pc.strftime (pyarrow 26).
    iso = pc.replace_substring(local.cast(pa.string()), " ", "T", max_replacements=1)
    return arrowtext.join(iso, offsets)


def _render(sessions: Sessions, ev: Events, rows: slice, seed: int, first_session: int) -> pa.StringArray:
    """Render the events in ``rows`` as JSON lines, each without its leading ``event_id`` member."""
    session = ev.session[rows]
    local = pa.array(session - first_session)
    kind, value = ev.kind[rows], ev.value[rows]
    channel = sessions.channel[session - first_session]
    fields = (
        ("event_type", arrowtext.join('"', arrowtext.lookup(EVENT_TYPES, kind), '"')),
        (
            "occurred_at",
            arrowtext.join('"', _occurred_at(ev.ts[rows], sessions.country[session - first_session]), '"'),
        ),
        ("session_id", arrowtext.join('"', _hashed_text(session, seed, _MIX_A), '"')),
        ("customer_id", _nullable_int(ev.customer[rows])),
        ("anonymous_id", arrowtext.join('"anon-', _hashed_text(session, seed + 1, _MIX_B), '"')),
        ("device_id", arrowtext.join('"', sessions.device.take(local), '"')),
        ("ip", arrowtext.join('"', sessions.ip.take(local), '"')),
        ("page_url", arrowtext.join('"', _page_urls(kind, ev.product[rows], ev.order[rows], value), '"')),
        ("product_id", _nullable_int(ev.product[rows])),
        ("order_id", _nullable_int(ev.order[rows])),
        ("user_agent", _user_agents(channel, session)),
        ("properties", _properties(kind, value, channel)),
    )
    parts: list[pa.Array | str] = []
    for name, text_values in fields:
        parts.extend([f', "{name}": ', text_values])
    return arrowtext.join(*parts, "}")


def _offset_seconds(offset: str) -> int:
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = offset[1:].split(":")
    return sign * (int(hours) * 3600 + int(minutes) * 60)
