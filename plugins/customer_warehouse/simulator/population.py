"""Customer accounts: real persons, their duplicate registrations and fake sign-ups, with truth."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from customer_warehouse.simulator import variants
from customer_warehouse.simulator.people import (
    Persons,
    draw_persons,
    render_birth_dates,
    render_genders,
    render_names,
    render_phones,
)
from customer_warehouse.simulator.places import Places, near_places
from customer_warehouse.simulator.pools import Pools
from customer_warehouse.simulator.reference import (
    CHANNEL_WEIGHTS,
    DISPOSABLE_DOMAINS,
    EMAIL_DOMAINS,
    INVALID_PHONES,
    NOISE_NAMES,
    SIGNUP_CHANNELS,
)
from customer_warehouse.simulator.settings import DAY_SECONDS, DefectRates
from customer_warehouse.simulator.textops import (
    NULL_TS,
    STR,
    concat,
    hex_strings,
    ipv4,
    ipv6,
    pick,
    pool,
    text,
    uuids,
    where,
    with_nulls,
)

FAKE_KINDS = ("disposable_email", "test_name", "invalid_phone", "signup_burst")
FAKE_WEIGHTS = (0.35, 0.2, 0.15, 0.3)


@dataclass
class Population:
    """Customer rows (``columns``), their home addresses and the truth about each account."""

    columns: dict[str, np.ndarray]
    home: Places
    truth: dict[str, np.ndarray]
    is_fake: np.ndarray
    labels: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["customer_id"])


@dataclass
class Accounts:
    """Accounts before they are sorted into customer ids; the first ``originals`` are one per person."""

    person: np.ndarray
    created: np.ndarray
    originals: int


def _account_plan(rng: np.random.Generator, n_real: int, rates: DefectRates, t0: int, t1: int) -> Accounts:
    persons = int(round(n_real / (1 + rates.duplicate_person * (1 + rates.third_account))))
    duplicated = int(round(persons * rates.duplicate_person))
    thirds = int(round(duplicated * rates.third_account))
    persons = n_real - duplicated - thirds
    dup_persons = rng.choice(persons, size=duplicated, replace=False) if duplicated else np.zeros(0, np.int64)
    extra_person = np.concatenate([dup_persons, dup_persons[:thirds]])
    created = t0 + ((t1 - t0 - 60) * rng.random(persons) ** 0.8).astype(np.int64)
    later = (
        created[extra_person]
        + 1
        + ((t1 - 1 - created[extra_person]) * rng.uniform(0.02, 1, len(extra_person)))
    )
    return Accounts(
        person=np.concatenate([np.arange(persons), extra_person]),
        created=np.concatenate([created, later.astype(np.int64)]),
        originals=persons,
    )


def _vary_duplicates(
    rng: np.random.Generator, cols: dict, persons: Persons, acc: Accounts, labels: dict
) -> None:
    """Rewrite the names and emails of duplicate accounts as variants of the person's first account."""
    name_kind = rng.choice(len(variants.NAME_VARIANTS) + 1, size=len(acc.person))
    email_kind = rng.choice(len(variants.EMAIL_VARIANTS) + 1, size=len(acc.person))
    for label in (*variants.NAME_VARIANTS, *variants.EMAIL_VARIANTS):
        labels[label] = np.zeros(len(acc.person), dtype=bool)
    for i in range(acc.originals, len(acc.person)):
        p = int(acc.person[i])
        name = (str(cols["given_name"][p]), str(cols["family_name"][p]), str(cols["full_name"][p]))
        kind = variants.NAME_VARIANTS[name_kind[i]] if name_kind[i] < len(variants.NAME_VARIANTS) else ""
        if kind == "name_han_pinyin" and persons.country[p] != "CN":
            kind = "name_typo"
        if kind == "name_accent_dropped" and not variants.has_accent(name[2]):
            kind = "name_case_whitespace"
        other = _other_script(
            persons, p, cols["full_name"][p] == persons.family_native[p] + persons.given_native[p]
        )
        new_name = variants.name_variant(rng, kind, name, other)
        cols["given_name"][i], cols["family_name"][i], cols["full_name"][i] = new_name
        email = str(persons.email[p])
        e_kind = (
            variants.EMAIL_VARIANTS[email_kind[i]] if email_kind[i] < len(variants.EMAIL_VARIANTS) else ""
        )
        if e_kind == "email_gmail_dots" and not email.endswith("@gmail.com"):
            e_kind = "email_plus_tag"
        other_email = (
            f"{persons.given_ascii[p]}.{persons.family_ascii[p]}{int(rng.integers(10, 99))}@outlook.com"
        )
        cols["email"][i] = variants.email_variant(rng, e_kind, email, other_email.lower().replace(" ", ""))
        for label in (kind, e_kind):
            if label:
                labels[label][i] = True


def _other_script(persons: Persons, p: int, is_han: bool) -> tuple[str, str, str]:
    if is_han:
        given, family = str(persons.given_latin[p]), str(persons.family_latin[p])
        return given, family, f"{family} {given}"
    given, family = str(persons.given_native[p]), str(persons.family_native[p])
    return given, family, family + given


def _real_accounts(rng: np.random.Generator, pools: Pools, n_real: int, rates: DefectRates, t0: int, t1: int):
    acc = _account_plan(rng, n_real, rates, t0, t1)
    persons = draw_persons(rng, pools, acc.originals, t0 // DAY_SECONDS)
    n = len(acc.person)
    names = render_names(rng, persons, acc.person, han_share=0.65)
    cols: dict[str, np.ndarray] = {
        "given_name": names.given.astype(object),
        "family_name": names.family.astype(object),
        "full_name": names.full.astype(object),
        "email": persons.email[acc.person].astype(object),
        "phone": render_phones(rng, persons, acc.person),
        "birth_date": render_birth_dates(rng, persons.birth_days[acc.person], persons.country[acc.person]),
        "gender": render_genders(rng, persons, acc.person),
        "country_code": persons.country[acc.person],
    }
    labels: dict[str, np.ndarray] = {}
    _vary_duplicates(rng, cols, persons, acc, labels)
    extra = np.arange(n) >= acc.originals
    original = acc.person  # the first account of person p has index p
    labels["phone_format_variant"] = extra & (cols["phone"] != cols["phone"][original])
    labels["birth_date_format_variant"] = extra & (cols["birth_date"] != cols["birth_date"][original])
    home = persons.home.take(acc.person)
    near = extra & (rng.random(n) < 0.4)
    near_rows = np.flatnonzero(near)
    moved = near_places(rng, home.take(near_rows), cols["country_code"][near_rows])
    for field in Places.__dataclass_fields__:
        getattr(home, field)[near_rows] = getattr(moved, field)
    labels["address_same"], labels["address_near"] = extra & ~near, near
    return acc, cols, home, labels


def _plant_birth_defects(rng: np.random.Generator, cols: dict, created: np.ndarray, rates: DefectRates):
    n = len(created)
    implausible = rng.random(n) < rates.implausible_birth_date
    rows = np.flatnonzero(implausible)
    created_day = (created[rows] // DAY_SECONDS).astype("datetime64[D]")
    choices = rng.integers(0, 4, len(rows))
    values = np.array(["1893-05-02", "1900-01-01", "", ""], dtype=object)[choices]
    future = np.datetime_as_string(created_day + rng.integers(30, 2000, len(rows)), unit="D")
    toddler = np.datetime_as_string(created_day - 3 * 365 - rng.integers(0, 200, len(rows)), unit="D")
    values = np.where(choices == 2, future, np.where(choices == 3, toddler, values))
    cols["birth_date"] = cols["birth_date"].astype(object)
    cols["birth_date"][rows] = values
    missing = ~implausible & (rng.random(n) < rates.missing_birth_date)
    cols["birth_date"][missing] = None
    cols["phone"] = cols["phone"].astype(object)
    cols["phone"][rng.random(n) < rates.missing_phone] = None
    return implausible


def _fakes(rng: np.random.Generator, pools: Pools, n: int, t0: int, t1: int):
    persons = draw_persons(rng, pools, n, t0 // DAY_SECONDS)
    idx = np.arange(n)
    names = render_names(rng, persons, idx, han_share=0.5)
    kind = rng.choice(len(FAKE_KINDS), size=n, p=FAKE_WEIGHTS)
    created = t0 + ((t1 - t0 - 3600) * rng.random(n)).astype(np.int64)
    cols = {
        "given_name": names.given.astype(object),
        "family_name": names.family.astype(object),
        "full_name": names.full.astype(object),
        "email": concat(hex_strings(rng, n, 4), "@", pick(rng, DISPOSABLE_DOMAINS, n)).astype(object),
        "phone": render_phones(rng, persons, idx).astype(object),
        "birth_date": np.full(n, None, dtype=object),
        "gender": np.full(n, None, dtype=object),
        "country_code": persons.country,
    }
    noisy = kind == 1
    noise = rng.integers(0, len(NOISE_NAMES), int(noisy.sum()))
    cols["given_name"][noisy] = np.array([NOISE_NAMES[i][0] for i in noise], dtype=object)
    cols["family_name"][noisy] = np.array([NOISE_NAMES[i][1] for i in noise], dtype=object)
    cols["full_name"][noisy] = cols["given_name"][noisy] + " " + cols["family_name"][noisy]
    plain_mail = noisy & (rng.random(n) < 0.5)
    cols["email"][plain_mail] = concat(
        "test", text(rng.integers(1, 999, int(plain_mail.sum()))), "@gmail.com"
    )
    bad_phone = (kind == 2) | (rng.random(n) < 0.1)
    cols["phone"][bad_phone] = pick(rng, INVALID_PHONES, int(bad_phone.sum())).astype(object)
    burst_id = _bursts(rng, kind == 3, created, t0, t1)
    labels = {
        "email_disposable": np.array([str(e).split("@")[-1] in DISPOSABLE_DOMAINS for e in cols["email"]]),
        "name_test_or_noise": noisy,
        "phone_invalid": bad_phone,
        "signup_burst": burst_id >= 0,
    }
    return persons.home, cols, created, np.array(FAKE_KINDS, dtype=object)[kind], burst_id, labels


def _bursts(
    rng: np.random.Generator, in_burst: np.ndarray, created: np.ndarray, t0: int, t1: int
) -> np.ndarray:
    """Group burst fakes into runs of 5-30 sign-ups a few minutes apart; return each row's burst id."""
    rows = np.flatnonzero(in_burst)
    burst_id = np.full(len(created), -1, dtype=np.int64)
    sizes = rng.integers(5, 31, max(1, len(rows) // 5 + 1))
    ids = np.repeat(np.arange(len(sizes)), sizes)[: len(rows)]
    burst_id[rows] = ids
    starts = t0 + ((t1 - t0 - 3600) * rng.random(len(sizes))).astype(np.int64)
    created[rows] = starts[ids] + rng.integers(0, 600, len(rows))
    return burst_id


def _signup_columns(
    rng: np.random.Generator, countries: np.ndarray, burst_id: np.ndarray
) -> dict[str, np.ndarray]:
    n = len(countries)
    channel = np.full(n, "", dtype=STR)
    for key, weights in CHANNEL_WEIGHTS.items():
        rows = np.flatnonzero((countries == "CN") == (key == "CN"))
        channel[rows] = pick(rng, SIGNUP_CHANNELS, len(rows), weights)
    apple = (channel == "ios") | ((channel == "wechat_mini_program") & (rng.random(n) < 0.5))
    device = where(
        apple,
        np.strings.upper(uuids(rng, n)),
        where(channel == "android", hex_strings(rng, n, 8), concat("web-", hex_strings(rng, n, 12))),
    )
    ip = where(rng.random(n) < 0.1, ipv6(rng, n), ipv4(rng, n))
    bursts = np.flatnonzero(burst_id >= 0)
    if len(bursts):
        n_bursts = int(burst_id.max()) + 1
        device[bursts] = concat("web-", hex_strings(rng, n_bursts, 12))[burst_id[bursts]]
        ip[bursts] = ipv4(rng, n_bursts)[burst_id[bursts]]
        channel[bursts] = "web"
    return {"signup_channel": channel, "signup_device_id": device, "signup_ip": ip}


def build_population(
    rng: np.random.Generator,
    pools: Pools,
    n: int,
    rates: DefectRates,
    window: tuple[int, int],
    first_ids: tuple[int, int],
) -> Population:
    """Generate ``n`` accounts created within ``window`` (epoch seconds), numbered from ``first_ids``.

    ``first_ids`` contains the first customer id and the first person id to use.
    """
    t0, t1 = window
    n_fake = int(round(n * rates.fake_signup))
    acc, cols, home, labels = _real_accounts(rng, pools, n - n_fake, rates, t0, t1)
    implausible = _plant_birth_defects(rng, cols, acc.created, rates)
    f_home, f_cols, f_created, f_kind, f_burst, f_labels = _fakes(rng, pools, n_fake, t0, t1)
    n_real = len(acc.person)
    for key in cols:
        cols[key] = np.concatenate(
            [np.asarray(cols[key], dtype=object), np.asarray(f_cols[key], dtype=object)]
        )
    home = Places(
        *(np.concatenate([getattr(home, f), getattr(f_home, f)]) for f in Places.__dataclass_fields__)
    )
    created = np.concatenate([acc.created, f_created])
    burst = np.concatenate([np.full(n_real, -1), f_burst])
    labels = {k: np.concatenate([v, np.zeros(n_fake, bool)]) for k, v in labels.items()}
    labels.update({k: np.concatenate([np.zeros(n_real, bool), v]) for k, v in f_labels.items()})
    labels["birth_date_implausible"] = np.concatenate([implausible, np.zeros(n_fake, bool)])
    cols.update(_signup_columns(rng, cols["country_code"].astype(STR), burst))
    person = np.concatenate([acc.person, acc.originals + np.arange(n_fake)]) + first_ids[1]
    is_fake = np.r_[np.zeros(n_real, bool), np.ones(n_fake, bool)]
    fake_kind = np.r_[np.full(n_real, "", dtype=object), f_kind]

    order = np.lexsort((np.arange(n), created))
    customer_id = np.empty(n, dtype=np.int64)
    customer_id[order] = first_ids[0] + np.arange(n)
    first_account = np.r_[acc.person, np.arange(n_real, n)]
    duplicate_of = np.where(np.arange(n) != first_account, customer_id[first_account], -1)
    cols.update(_timestamps(rng, created, t1))
    cols["customer_id"] = customer_id
    cols["marketing_opt_in"] = rng.random(n) < np.where(is_fake, 0.9, 0.4)
    truth = {
        "customer_id": customer_id,
        "person_id": person,
        "is_fake": is_fake,
        "fake_kind": fake_kind,
        "duplicate_of_customer_id": duplicate_of,
    }
    pop = Population(columns=cols, home=home, truth=truth, is_fake=is_fake, labels=labels)
    return _sorted(pop, order)


def _timestamps(rng: np.random.Generator, created: np.ndarray, t1: int) -> dict[str, np.ndarray]:
    n = len(created)
    edited = rng.random(n) < 0.3
    updated = np.where(edited, created + ((t1 - 1 - created) * rng.random(n)).astype(np.int64), created)
    deleted = np.full(n, NULL_TS, dtype=np.int64)
    gone = rng.random(n) < 0.01
    deleted[gone] = updated[gone] = created[gone] + (
        (t1 - 1 - created[gone]) * rng.random(int(gone.sum()))
    ).astype(np.int64)
    return {"created_at": created, "updated_at": updated, "deleted_at": deleted}


def _sorted(pop: Population, order: np.ndarray) -> Population:
    return Population(
        columns={k: v[order] for k, v in pop.columns.items()},
        home=pop.home.take(order),
        truth={k: v[order] for k, v in pop.truth.items()},
        is_fake=pop.is_fake[order],
        labels={k: v[order] for k, v in pop.labels.items()},
    )


def defects_text(labels: dict[str, np.ndarray]) -> np.ndarray:
    """Join each row's planted-defect labels with semicolons."""
    n = len(next(iter(labels.values())))
    out = np.full(n, "", dtype=STR)
    for label in sorted(labels):
        out = where(labels[label], concat(out, label, ";"), out)
    return np.strings.rstrip(out, ";")


def customer_columns(pop: Population) -> dict[str, np.ndarray]:
    """Return the customers table columns with SQL NULLs as ``None``."""
    cols = dict(pop.columns)
    for key in (
        "given_name",
        "family_name",
        "full_name",
        "email",
        "signup_channel",
        "signup_device_id",
        "signup_ip",
    ):
        values = np.asarray(cols[key], dtype=object)
        cols[key] = with_nulls(values, np.array([v is None for v in values]))
    cols["country_code"] = np.asarray(cols["country_code"]).astype(str).astype(object)
    return cols


__all__ = ["Population", "build_population", "customer_columns", "defects_text", "pool", "EMAIL_DOMAINS"]
