"""Identity resolution as a pipeline step: frames from staging and the vault, full then incremental."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa

from customer_warehouse import simulator
from customer_warehouse.authenticity.pipeline import run_authenticity_scoring
from customer_warehouse.identity.pipeline import run_identity_resolution
from customer_warehouse.ingest import extract_shop
from customer_warehouse.pii.keys import Pseudonymizer
from tests.dbt.dbt_support import DbtRun, dbt_failure_message, run_dbt
from tests.support import make_settings

CUSTOMERS = 2000


def _stage(settings, run_id: str, home) -> None:
    results = extract_shop(settings, run_id)
    assert {r.status for r in results} <= {"loaded", "empty"}, [r.summary() for r in results]
    run = DbtRun(home / f"target-{run_id}", home / f"logs-{run_id}")
    built = run_dbt(
        settings,
        ["run", "--select", "path:models/staging/shop", "+int_shop__customer_default_addresses"],
        run,
    )
    assert built.returncode == 0, dbt_failure_message(built)


def _query(url: str, sql: str) -> list[tuple]:
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = [tuple(row) for row in conn.execute(sa.text(sql))]
    eng.dispose()
    return rows


@pytest.fixture()
def platform(pg_database, tmp_path):
    settings = make_settings(tmp_path, pg_database("idstep_wh"), pg_database("idstep_shop"))
    simulator.simulate(
        settings.shop_url,
        customers=CUSTOMERS,
        seed=23,
        events_dir=tmp_path / "events",
        truth_dir=settings.truth_dir,
        progress=False,
    )
    return settings


def _pair_scores(settings) -> tuple[float, float]:
    keys = Pseudonymizer.from_env()
    truth = pd.read_csv(settings.truth_dir / "customers_truth.csv")
    truth["customer_key"] = [keys.customer_key("shop", cid) for cid in truth["customer_id"]]
    bridge = pd.DataFrame(
        _query(settings.warehouse_url, "select customer_key, person_key from identity.person_accounts"),
        columns=["customer_key", "person_key"],
    )
    joined = truth.merge(bridge, on="customer_key")
    assert len(joined) == len(truth)
    true_pairs = _pairs(joined, "person_id")
    found_pairs = _pairs(joined, "person_key")
    hits = len(true_pairs & found_pairs)
    return hits / max(len(found_pairs), 1), hits / max(len(true_pairs), 1)


def _pairs(frame: pd.DataFrame, column: str) -> set[tuple[str, str]]:
    pairs = set()
    for keys in frame.groupby(column)["customer_key"]:
        members = sorted(keys[1])
        pairs |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :]}
    return pairs


def test_full_then_incremental(platform, tmp_path):
    settings = platform
    _stage(settings, "run1", tmp_path)
    first = run_identity_resolution(settings, "run1")
    assert first["mode"] == "full"
    precision, recall = _pair_scores(settings)
    assert precision >= 0.95
    assert recall >= 0.95
    active = _query(settings.warehouse_url, "select count(*) from identity.persons where status = 'active'")[
        0
    ][0]
    vault_persons = _query(settings.vault_url, "select count(*) from pii.person_identities")[0][0]
    assert vault_persons == active
    before = dict(
        _query(settings.warehouse_url, "select customer_key, person_key from identity.person_accounts")
    )

    simulator.advance(
        settings.shop_url,
        seed=23,
        step=1,
        events_dir=tmp_path / "events",
        truth_dir=settings.truth_dir,
        progress=False,
    )
    _stage(settings, "run2", tmp_path)
    second = run_identity_resolution(settings, "run2")
    assert second["mode"] == "incremental"
    assert 0 < second["accounts_in"] < CUSTOMERS / 10
    after = dict(
        _query(settings.warehouse_url, "select customer_key, person_key from identity.person_accounts")
    )
    assert set(before) <= set(after)
    kept = sum(after[key] == person for key, person in before.items())
    assert kept / len(before) > 0.99
    precision, recall = _pair_scores(settings)
    assert precision >= 0.95
    assert recall >= 0.95


def test_golden_identifiers_only_in_vault(platform, tmp_path):
    settings = platform
    _stage(settings, "run1", tmp_path)
    run_identity_resolution(settings, "run1")
    columns = {
        row[0]
        for row in _query(
            settings.warehouse_url,
            "select column_name from information_schema.columns where table_schema = 'identity'",
        )
    }
    assert not columns & {
        "email",
        "phone",
        "given_name",
        "family_name",
        "full_name",
        "birth_date",
        "address_line",
    }


def test_scoring_after_resolution(platform, tmp_path):
    settings = platform
    _stage(settings, "run1", tmp_path)
    run_identity_resolution(settings, "run1")
    first = run_authenticity_scoring(settings, "run1")
    assert first["accounts_scored"] == CUSTOMERS
    keys = Pseudonymizer.from_env()
    truth = pd.read_csv(settings.truth_dir / "customers_truth.csv")
    fake = {keys.customer_key("shop", cid) for cid in truth.loc[truth["is_fake"], "customer_id"]}
    excluded = {
        row[0]
        for row in _query(
            settings.warehouse_url, "select customer_key from authenticity.account_scores where is_excluded"
        )
    }
    hits = len(fake & excluded)
    assert hits / len(excluded) >= 0.9
    assert hits / len(fake) >= 0.9
    persons = _query(
        settings.warehouse_url, "select count(distinct person_key) from authenticity.person_scores"
    )[0][0]
    active = _query(settings.warehouse_url, "select count(*) from identity.persons where status = 'active'")[
        0
    ][0]
    assert persons == active

    simulator.advance(
        settings.shop_url,
        seed=23,
        step=1,
        events_dir=tmp_path / "events",
        truth_dir=settings.truth_dir,
        progress=False,
    )
    _stage(settings, "run2", tmp_path)
    run_identity_resolution(settings, "run2")
    second = run_authenticity_scoring(settings, "run2")
    assert 0 < second["accounts_scored"] < CUSTOMERS / 5


def test_cli_runs_both_steps(platform, tmp_path, monkeypatch, capsys):
    from customer_warehouse.cli import main

    settings = platform
    _stage(settings, "run1", tmp_path)
    for name, value in {
        "CW_HOME": str(settings.home),
        "CW_WAREHOUSE_URL": settings.warehouse_url,
        "CW_VAULT_URL": settings.vault_url,
        "CW_SHOP_URL": settings.shop_url,
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["identity", "resolve", "--run-id", "manual-identity"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "full"
    assert main(["authenticity", "score", "--full", "--run-id", "manual-scoring"]) == 0
    assert json.loads(capsys.readouterr().out)
    identity_runs = _query(settings.warehouse_url, "select run_id from identity.runs")
    assert [run for (run,) in identity_runs if run.startswith("manual-identity#")]
    scored = _query(
        settings.warehouse_url, "select count(*) from authenticity.runs where run_id like 'manual-scoring%'"
    )
    assert scored[0][0] >= 1
