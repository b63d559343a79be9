"""Consistency checks: postcode against city and state, sign-up bursts, orders without payments.

The postcode reference for Brazil is the Olist geolocation export (zip code prefix, city,
state). Olist exports lost the leading zeros of zip prefixes (``8775`` is ``08775``), so
every prefix is padded back before comparing. City names are compared without accents,
case, spaces or punctuation, because the export spells one city several ways
(``são paulo``, ``sao paulo``; ``estrela d oeste``, ``estrela doeste``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from customer_warehouse import db
from customer_warehouse.authenticity.config import AuthenticityConfig
from customer_warehouse.authenticity.reasons import Finding, collect, finding
from customer_warehouse.authenticity.validity import text_column

log = logging.getLogger(__name__)

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")


def normalize_place(name: object) -> str | None:
    """Return a city or state name lower-cased, without accents, spaces or punctuation."""
    if name is None or (isinstance(name, float) and name != name):
        return None
    decomposed = unicodedata.normalize("NFKD", str(name).casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_ALPHANUMERIC.sub("", plain) or None


@dataclass(frozen=True)
class PostcodeReference:
    """Cities and states known for each postcode prefix of one country."""

    country: str
    prefix_length: int
    full_length: int
    cities: dict[str, frozenset[str]]
    states: dict[str, frozenset[str]]

    def __len__(self) -> int:
        return len(self.cities)

    def prefix_of(self, postcode: object) -> str | None:
        """Return the postcode's prefix, restoring leading zeros lost by number-typed exports."""
        if postcode is None or (isinstance(postcode, float) and postcode != postcode):
            return None
        digits = re.sub(r"\D", "", str(postcode))
        if not digits or len(digits) > self.full_length:
            return None
        if len(digits) > self.prefix_length:
            digits = digits.zfill(self.full_length)
        return digits.zfill(self.prefix_length)[: self.prefix_length]


def brazil_reference(rows: pd.DataFrame) -> PostcodeReference:
    """Build the Brazilian reference from Olist geolocation rows (zip prefix, city, state columns)."""
    reference = PostcodeReference("BR", 5, 8, {}, {})
    table = pd.DataFrame(
        {
            "prefix": rows.iloc[:, 0].map(reference.prefix_of),
            "city": rows.iloc[:, 1].map(normalize_place),
            "state": rows.iloc[:, 2].map(normalize_place),
        }
    ).dropna(subset=["prefix"])
    cities = table.dropna(subset=["city"]).groupby("prefix")["city"].agg(frozenset).to_dict()
    states = table.dropna(subset=["state"]).groupby("prefix")["state"].agg(frozenset).to_dict()
    return PostcodeReference("BR", 5, 8, cities, states)


def load_postcode_reference(warehouse_url: str) -> list[PostcodeReference]:
    """Read the postcode references the warehouse holds (today: Olist geolocation for Brazil)."""
    engine = db.engine(warehouse_url)
    try:
        with engine.connect() as conn:
            if conn.scalar(sa.text("select to_regclass('raw.olist_geolocation')")) is None:
                return []
            rows = pd.read_sql(
                sa.text(
                    "select distinct geolocation_zip_code_prefix, geolocation_city, geolocation_state"
                    " from raw.olist_geolocation where geolocation_zip_code_prefix is not null"
                ),
                conn,
            )
    finally:
        engine.dispose()
    if rows.empty:
        return []
    reference = brazil_reference(rows)
    log.info("read the postcode reference for BR: %s zip prefixes", f"{len(reference):,}")
    return [reference]


def _listed(prefix: np.ndarray, values: np.ndarray, known: dict[str, frozenset[str]]) -> np.ndarray:
    """Return True where ``values[i]`` is among the known values of ``prefix[i]``."""
    pairs = {(key, value) for key, options in known.items() for value in options}
    return np.asarray(pd.MultiIndex.from_arrays([prefix, values]).isin(pairs), dtype=bool)


def check_postcode_places(frame: pd.DataFrame, references: list[PostcodeReference]) -> list[Finding]:
    """Flag accounts whose city or state is not among the reference's for their postcode prefix.

    Prefixes the reference does not list are not judged: the reference may be a sample.
    """
    findings = []
    country = text_column(frame, "country_code").str.upper()
    for reference in references:
        in_country = (country == reference.country).to_numpy()
        if not in_country.any():
            continue
        prefix = text_column(frame, "postcode").map(reference.prefix_of).to_numpy(dtype=object)
        city = text_column(frame, "city").map(normalize_place).to_numpy(dtype=object)
        state = text_column(frame, "state").map(normalize_place).to_numpy(dtype=object)
        has_city = in_country & pd.Series(prefix).isin(reference.cities.keys()).to_numpy()
        has_state = in_country & pd.Series(prefix).isin(reference.states.keys()).to_numpy()
        bad_city = has_city & pd.notna(city) & ~_listed(prefix, city, reference.cities)
        bad_state = has_state & pd.notna(state) & ~_listed(prefix, state, reference.states)

        def city_texts(rows: np.ndarray, prefix=prefix) -> list[str]:
            return [f"city is not among the reference's cities for postcode prefix {prefix[i]}" for i in rows]

        def state_texts(rows: np.ndarray, prefix=prefix) -> list[str]:
            return [f"state does not match postcode prefix {prefix[i]} in the reference" for i in rows]

        evidence = {"postcode_prefix": prefix}
        findings.append(finding("postcode_city_mismatch", bad_city, city_texts, evidence))
        findings.append(finding("postcode_state_mismatch", bad_state, state_texts, evidence))
    return collect(findings)


def burst_sizes(keys: pd.Series, created: pd.Series, window_seconds: float) -> np.ndarray:
    """Count, for each account, the sign-ups with the same key within ``window_seconds`` of its own.

    Accounts without a key or a creation time count 0. Keys are factorized to integers and
    spread far apart on one time axis, so two sorted searches count every account's
    neighbours at once.
    """
    seconds = pd.to_datetime(created, utc=True, errors="coerce")
    valid = keys.notna().to_numpy() & seconds.notna().to_numpy()
    sizes = np.zeros(len(keys), dtype=np.int64)
    if not valid.any():
        return sizes
    codes, _ = pd.factorize(keys[valid])
    times = seconds[valid].astype("int64").to_numpy() // 10**6
    times = times - times.min()
    spread = int(times.max()) + int(window_seconds) * 2 + 1
    axis = codes.astype(np.int64) * spread + times
    order = np.sort(axis)
    window = int(window_seconds)
    low = np.searchsorted(order, axis - window, side="left")
    high = np.searchsorted(order, axis + window, side="right")
    sizes[valid] = high - low
    return sizes


def check_bursts(features: pd.DataFrame, batch_rows: np.ndarray, config: AuthenticityConfig) -> list[Finding]:
    """Flag batch accounts signed up in a burst from one device key or one IP key.

    ``features`` is the whole population (stored history and this batch); ``batch_rows``
    are the positions of this batch's accounts in it, in batch order.
    """
    window = config.burst.window_minutes * 60
    findings = []
    for code, column, label in (
        ("signup_burst_device", "signup_device_key", "device"),
        ("signup_burst_ip", "signup_ip_key", "IP address"),
    ):
        sizes = burst_sizes(features[column], features["created_at"], window)[batch_rows]
        mask = sizes >= config.burst.min_accounts
        minutes = f"{config.burst.window_minutes:g}"

        def texts(rows: np.ndarray, sizes=sizes, label=label, minutes=minutes) -> list[str]:
            return [f"{sizes[i]} sign-ups from one {label} within {minutes} minutes" for i in rows]

        findings.append(finding(code, mask, texts, {"burst_accounts": sizes}))
    return collect(findings)


def check_payments(facts: pd.DataFrame) -> list[Finding]:
    unpaid = facts["orders_without_payment"].to_numpy(dtype=float)
    mask = np.nan_to_num(unpaid) > 0

    def texts(rows: np.ndarray) -> list[str]:
        return [f"{unpaid[i]:.0f} orders have no payment record" for i in rows]

    return collect(finding("orders_without_payment", mask, texts, {"orders_without_payment": unpaid}))
