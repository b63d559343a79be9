"""resolve_identities against real PostgreSQL: accuracy, stable person keys, incremental runs, Olist."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from bench.bench_identity import pairwise_scores
from customer_warehouse.db import engine as make_engine
from customer_warehouse.identity import olist_identity_frame, resolve_identities
from customer_warehouse.identity import resolve as resolve_module
from customer_warehouse.identity.store import load_bridge
from customer_warehouse.warehouse import bootstrap


def _bridge(url: str) -> pd.Series:
    eng = make_engine(url)
    try:
        return load_bridge(eng)
    finally:
        eng.dispose()


def _rows(url: str, sql: str) -> list[tuple]:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql))]
    finally:
        eng.dispose()


def test_platform_precision_recall(platform, pg_database, keys, trained_settings):
    url = pg_database("identity_accuracy")
    run = resolve_identities(platform.frame, url, "run-1", keys, settings=trained_settings)
    scores = pairwise_scores(platform.truth, _bridge(url).reindex(platform.truth.index))
    assert run.counts["accounts_in"] == len(platform.frame)
    assert scores["true_pairs"] > 100
    assert scores["precision"] >= 0.97, scores
    assert scores["recall"] >= 0.95, scores


def test_platform_beats_email_baseline(platform, pg_database, keys):
    from bench.bench_identity import email_baseline

    url = pg_database("identity_baseline")
    resolve_identities(platform.frame, url, "run-1", keys)
    ours = pairwise_scores(platform.truth, _bridge(url).reindex(platform.truth.index))
    baseline = pairwise_scores(platform.truth, email_baseline(platform.frame).reindex(platform.truth.index))
    assert ours["f1"] >= baseline["f1"] + 0.2, (ours, baseline)


def test_golden_identifiers_stay_in_memory(platform, pg_database, keys):
    url = pg_database("identity_golden")
    run = resolve_identities(platform.frame, url, "run-1", keys)
    assert len(run.golden_identifiers) == _rows(url, "select count(*) from identity.persons")[0][0]
    columns = {
        row[0]
        for row in _rows(
            url, "select column_name from information_schema.columns where table_schema = 'identity'"
        )
    }
    assert not columns & {
        "email",
        "phone",
        "phone_e164",
        "full_name",
        "given_name",
        "birth_date",
        "address_line",
    }


PERSONS = {
    "a1": {
        "full_name": "Anna Schmidt",
        "email": "anna.schmidt@web.de",
        "phone": "+49 151 10000001",
        "birth_date": "1980-01-02",
    },
    "a2": {"full_name": "Anna Schmidt", "phone": "0151 10000001", "birth_date": "1980-01-02"},
    "q1": {"full_name": "Bruno Costa", "phone": "+49 151 20000002", "person_ref": "u-1"},
    "r1": {"full_name": "Jing Chen", "phone": "+49 151 30000003", "email": "jing.chen@gmx.de"},
    "r2": {
        "full_name": "Chen Jing",
        "phone": "+49 151 30000003",
        "email": "chen.jing@t-online.de",
        "postcode": "10115",
    },
    # Same email and same postcode as r2, because a shared email alone does not link.
    "r3": {"full_name": "陈静", "email": "chen.jing@t-online.de", "postcode": "10115"},
}


def _events(url: str, run_id: str) -> list[tuple]:
    return _rows(
        url,
        "select event, person_key, other_person_key from identity.person_events "
        f"where run_id = '{run_id}' and event <> 'created'",
    )


def test_stable_keys_merge_and_split(frame_of, pg_database, keys):
    url = pg_database("identity_stable")
    resolve_identities(frame_of(*PERSONS.items()), url, "run-1", keys)
    first = _bridge(url)
    key = dict(
        zip(
            frame_of(*PERSONS.items())["source_customer_id"],
            frame_of(*PERSONS.items())["customer_key"],
            strict=True,
        )
    )
    assert first[key["a1"]] == first[key["a2"]]
    assert first[key["r1"]] == first[key["r2"]] == first[key["r3"]]
    assert len({first[key[a]] for a in PERSONS}) == 3

    second = dict(PERSONS)
    # m1 shares Anna's email and Bruno's platform id: Anna's person (2 accounts) absorbs Bruno's.
    second["m1"] = {
        "full_name": "A. Schmidt",
        "email": "anna.schmidt@web.de",
        "birth_date": "1980-01-02",
        "person_ref": "u-1",
    }
    # r3 now has its own email and nothing else in common with r1 and r2: it splits off.
    second["r3"] = {"full_name": "陈静", "email": "jing.c@qq.com"}
    resolve_identities(frame_of(*second.items()), url, "run-2", keys)
    after = _bridge(url)
    key["m1"] = frame_of(("m1", second["m1"]))["customer_key"].iloc[0]
    anna, bruno, jing = first[key["a1"]], first[key["q1"]], first[key["r1"]]
    assert after[key["a1"]] == after[key["q1"]] == after[key["m1"]] == anna
    assert after[key["r1"]] == after[key["r2"]] == jing
    assert after[key["r3"]] != jing
    events = _events(url, "run-2")
    assert ("merged", bruno, anna) in events
    assert ("split", jing, after[key["r3"]]) in events
    status = dict(
        _rows(
            url, f"select status, merged_into_person_key from identity.persons where person_key = '{bruno}'"
        )
    )
    assert status == {"merged": anna}


def test_rerun_same_input_keeps_every_key(frame_of, pg_database, keys):
    url = pg_database("identity_rerun")
    frame = frame_of(*PERSONS.items())
    resolve_identities(frame, url, "run-1", keys)
    first = _bridge(url)
    resolve_identities(frame, url, "run-2", keys)
    assert _bridge(url).sort_index().equals(first.sort_index())
    assert _events(url, "run-2") == []


def test_run_id_reused_rejected(frame_of, pg_database, keys):
    url = pg_database("identity_reuse")
    frame = frame_of(*PERSONS.items())
    resolve_identities(frame, url, "run-1", keys)
    with pytest.raises(RuntimeError, match="run-1 is already stored"):
        resolve_identities(frame, url, "run-1", keys)


def test_incremental_touches_only_new_accounts(platform, pg_database, keys):
    url = pg_database("identity_incremental")
    frame = platform.frame.sort_values(["created_at", "customer_key"]).reset_index(drop=True)
    batch, base = frame.iloc[-120:], frame.iloc[:-120]
    resolve_identities(base, url, "full", keys)
    requested: list[set[str]] = []

    def load_accounts(wanted: set[str]) -> pd.DataFrame:
        requested.append(set(wanted))
        return frame[frame["customer_key"].isin(wanted)]

    run = resolve_identities(batch, url, "incremental", keys, incremental=True, load_accounts=load_accounts)
    loaded = set().union(*requested)
    assert run.mode == "incremental"
    assert 0 < len(loaded) < len(base) / 10
    assert not loaded & set(batch["customer_key"])
    updated = _rows(
        url, "select count(*) from identity.person_accounts where updated_run_id = 'incremental'"
    )[0][0]
    assert updated <= len(batch) + len(loaded)
    bridge = _bridge(url)
    assert set(bridge.index) == set(frame["customer_key"])
    scores = pairwise_scores(platform.truth, bridge.reindex(platform.truth.index))
    assert scores["recall"] >= 0.95, scores
    assert scores["precision"] >= 0.97, scores
    assert _blocking_key_rows(url) == _bridge_blocking_keys(url)


# Rows of the key table against the bridge's arrays, one (key, account) pair each.
def _blocking_key_rows(url: str) -> list[tuple]:
    return _rows(url, "select blocking_key, customer_key from identity.account_blocking_keys order by 1, 2")


def _bridge_blocking_keys(url: str) -> list[tuple]:
    return _rows(
        url,
        "select k, customer_key from identity.person_accounts, unnest(blocking_keys) as k order by 1, 2",
    )


def test_full_run_fills_blocking_key_table(frame_of, pg_database, keys):
    url = pg_database("identity_blocking_keys")
    frame = frame_of(*PERSONS.items())
    resolve_identities(frame, url, "run-1", keys)
    first = _blocking_key_rows(url)
    assert first
    assert first == _bridge_blocking_keys(url)
    resolve_identities(frame, url, "run-2", keys)
    assert _blocking_key_rows(url) == first
    indexes = _rows(
        url,
        "select indexname from pg_indexes where schemaname = 'identity' "
        "and tablename in ('person_accounts', 'account_blocking_keys', 'persons') order by 1",
    )
    assert indexes == [
        ("account_blocking_keys_key_idx",),
        ("person_accounts_person_idx",),
        ("person_accounts_pkey",),
        ("persons_pkey",),
    ]


def test_bootstrap_backfills_blocking_key_table(frame_of, pg_database, keys):
    url = pg_database("identity_blocking_backfill")
    resolve_identities(frame_of(*PERSONS.items()), url, "run-1", keys)
    expected = _blocking_key_rows(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("drop table identity.account_blocking_keys"))
    engine.dispose()
    bootstrap(url).dispose()
    assert expected
    assert _blocking_key_rows(url) == expected
    bootstrap(url).dispose()
    assert _blocking_key_rows(url) == expected


def test_failed_survivorship_keeps_stored_state(frame_of, pg_database, keys, monkeypatch):
    url = pg_database("identity_survivorship_fails")
    frame = frame_of(*PERSONS.items())
    resolve_identities(frame, url, "run-1", keys)
    bridge = _bridge(url)
    blocking_keys = _blocking_key_rows(url)

    def fail(*args, **kwargs):
        raise RuntimeError("survivorship failed on purpose")

    monkeypatch.setattr(resolve_module, "golden_records", fail)
    with pytest.raises(RuntimeError, match="failed on purpose"):
        resolve_identities(frame.iloc[:3], url, "run-2", keys)
    assert _bridge(url).sort_index().equals(bridge.sort_index())
    assert _blocking_key_rows(url) == blocking_keys
    assert _rows(url, "select run_id from identity.runs") == [("run-1",)]


def test_incremental_without_state_runs_full(frame_of, pg_database, keys):
    url = pg_database("identity_incremental_first")
    run = resolve_identities(
        frame_of(*PERSONS.items()), url, "run-1", keys, incremental=True, load_accounts=lambda wanted: None
    )
    assert run.mode == "full"


def test_olist_person_ref_accounts_join(olist_dir, pg_database, keys):
    url = pg_database("identity_olist")
    frame = olist_identity_frame(olist_dir, keys)
    resolve_identities(frame, url, "run-1", keys)
    bridge = _bridge(url)
    person = frame["customer_key"].map(bridge)
    persons_per_ref = person.groupby(frame["person_ref"]).nunique()
    refs_per_person = frame["person_ref"].groupby(person).nunique()
    assert person.notna().all()
    assert (frame["person_ref"].value_counts() >= 2).sum() == 93
    assert persons_per_ref.max() == 1
    assert refs_per_person.max() == 1
