"""Erasure on request: after erase(), no trace of the person in the vault or the warehouse.

One small platform (simulated, plus the planted accounts of ``tests.planted``) goes
through extraction, dbt, identity resolution and scoring. The planted person is then
erased by email, and every table of both databases is searched for its identifiers and
its keys, before and after the pipeline runs again.
"""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from customer_warehouse import platform_schema, simulator
from customer_warehouse.authenticity.pipeline import run_authenticity_scoring
from customer_warehouse.identity.pipeline import run_identity_resolution
from customer_warehouse.ingest import extract_shop, load_landing
from customer_warehouse.pii.crypto import new_key_entry
from customer_warehouse.pii.erasure import ErasureError, ErasureRequest, erase
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.publish import publish_marts
from customer_warehouse.quality.runner import run_suite
from customer_warehouse.summary import collect_summary
from tests.dbt.dbt_support import DbtRun, dbt_failure_message, run_dbt
from tests.planted import CREATED, PLANTED_CUSTOMERS, PLANTED_VALUES, plant
from tests.support import make_settings, run_dag

SUBJECT = PLANTED_CUSTOMERS[0]
# Tables that keep the erased account's pseudonymous key on purpose: the suppression list
# that stops the next extraction from loading it again.
KEPT_ON_PURPOSE = {"audit.erasure_suppressions"}
# Marts that may contain rows under an erased account's anonymous key, in both mart schemas.
ANONYMOUS_KEY_MARTS = [
    f"{schema}.{table}"
    for schema in ("marts_build", "marts")
    for table in ("bdg_customer_person", "dim_customers", "customer_review", "dim_persons",
                  "fct_orders", "fct_order_items")
]  # fmt: skip


def _run_pipeline(settings, run_id: str, home) -> None:
    results = extract_shop(settings, run_id) + load_landing(settings, run_id)
    assert not [r.summary() for r in results if r.status == "failed"]
    run = DbtRun(home / f"target-{run_id}", home / f"logs-{run_id}")
    staged = run_dbt(settings, ["build", "--exclude", "tag:after_scoring"], run)
    assert staged.returncode == 0, dbt_failure_message(staged)
    run_identity_resolution(settings, run_id)
    run_authenticity_scoring(settings, run_id)
    built = run_dbt(settings, ["build", "--select", "tag:after_scoring"], run)
    assert built.returncode == 0, dbt_failure_message(built)


def _place_order(shop_url: str, customer_id: int) -> None:
    """Give the account one delivered, paid order of one line, so erasing it moves facts.

    The order id differs from every customer id: shop order and account keys are both the
    HMAC of ``shop:<id>``, so equal ids would make the order key equal the erased account key.
    """
    eng = sa.create_engine(shop_url)
    stamps = {"created_at": CREATED, "updated_at": CREATED}
    with eng.begin() as conn:
        product_id = conn.scalar(sa.text("select min(product_id) from products"))
        conn.execute(
            platform_schema.orders.insert(),
            {"order_id": 990_101, "customer_id": customer_id, "shipping_address_id": 990_001,
             "order_status": "delivered", "currency": "USD", "shipping_amount": 5, "order_total": 25,
             "ordered_at": CREATED, "deleted_at": None, **stamps},
        )  # fmt: skip
        conn.execute(
            platform_schema.order_items.insert(),
            {"order_item_id": 990_101, "order_id": 990_101, "line_number": 1, "product_id": product_id,
             "quantity": 1, "unit_price": 20, "discount_amount": 0, **stamps},
        )  # fmt: skip
        conn.execute(
            platform_schema.payments.insert(),
            {"payment_id": 990_101, "order_id": 990_101, "payment_method": "card",
             "payment_status": "captured", "amount": 25, "currency": "USD", "paid_at": CREATED, **stamps},
        )  # fmt: skip
    eng.dispose()


def _scalar(url: str, sql: str):
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        value = conn.scalar(sa.text(sql))
    eng.dispose()
    return value


def _tables_containing(url: str, needles: list[str]) -> dict[str, list[str]]:
    eng = sa.create_engine(url)
    found = {}
    with eng.connect() as conn:
        tables = conn.execute(
            sa.text(
                "select table_schema, table_name from information_schema.tables"
                " where table_type = 'BASE TABLE'"
                " and table_schema not in ('pg_catalog', 'information_schema')"
            )
        ).all()
        for schema, table in tables:
            hits = conn.scalars(
                sa.text(
                    f'select distinct needle from "{schema}"."{table}" t'
                    " cross join unnest(cast(:needles as text[])) needle"
                    " where position(needle in lower(t::text)) > 0"
                ),
                {"needles": [n.lower() for n in needles]},
            ).all()
            if hits:
                found[f"{schema}.{table}"] = sorted(hits)
    eng.dispose()
    return found


def _anonymous_key_rows(url: str) -> dict[str, list[str]]:
    """Return, per mart, the rows that contain an anonymous key of audit.erasure_suppressions."""
    eng = sa.create_engine(url)
    with eng.connect() as conn:
        rows = {
            table: conn.scalars(
                sa.text(
                    f"select row_to_json(t)::text from {table} t join audit.erasure_suppressions s"
                    " on position(s.anonymous_key in t::text) > 0 order by 1"
                )
            ).all()
            for table in ANONYMOUS_KEY_MARTS
        }
    eng.dispose()
    return rows


def _totals(url: str) -> tuple:
    return (
        _scalar(url, "select count(*) from marts_build.fct_orders"),
        _scalar(url, "select sum(payment_total) from marts_build.fct_orders"),
        _scalar(url, "select count(*) from marts_build.fct_order_items"),
    )


@pytest.fixture(scope="module")
def module_secrets():
    """One pseudonymization key and key ring for the whole module, so keys stay comparable."""
    values = {"CW_PSEUDONYM_KEY": secrets.token_hex(32), "CW_VAULT_KEYS": new_key_entry("erase1")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        yield values


@pytest.fixture(autouse=True)
def same_secrets(module_secrets, monkeypatch):
    for name, value in module_secrets.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def erased_platform(pg_database, tmp_path_factory, module_secrets):
    home = tmp_path_factory.mktemp("erasure")
    settings = make_settings(home, pg_database("erase_wh"), pg_database("erase_shop"))
    simulator.simulate(
        settings.shop_url, 1000, seed=31, events_dir=settings.landing_dir / "events",
        truth_dir=settings.truth_dir, progress=False,
    )  # fmt: skip
    plant(settings.shop_url, settings.landing_dir / "events")
    _place_order(settings.shop_url, SUBJECT["customer_id"])
    _run_pipeline(settings, "run1", home)
    publish_marts(settings.warehouse_url, "run1", settings.role_prefix)
    keys = Pseudonymizer.from_env()
    account = keys.customer_key("shop", SUBJECT["customer_id"])
    person = _scalar(
        settings.warehouse_url,
        f"select person_key from identity.person_accounts where customer_key = '{account}'",
    )
    before = _totals(settings.warehouse_url)
    result = erase(
        settings,
        ErasureRequest("email", "  " + SUBJECT["email"].upper(), "ticket GDPR-17", "privacy-officer"),
    )
    return {
        "anonymous_key_rows": _anonymous_key_rows(settings.warehouse_url),
        "settings": settings,
        "home": home,
        "account": account,
        "person": person,
        "before": before,
        "result": result,
    }


def test_erasure_finds_the_person(erased_platform):
    result = erased_platform["result"]
    assert result.status == "done"
    assert [a.customer_key for a in result.accounts] == [erased_platform["account"]]
    assert result.person_keys == [erased_platform["person"]]


def test_no_trace_in_vault(erased_platform):
    cfg = erased_platform["settings"]
    needles = [erased_platform["account"], erased_platform["person"], *PLANTED_VALUES[:9]]
    assert _tables_containing(cfg.vault_url, needles) == {}


def test_no_trace_in_warehouse(erased_platform):
    cfg = erased_platform["settings"]
    needles = [erased_platform["account"], erased_platform["person"], *PLANTED_VALUES[:9]]
    found = _tables_containing(cfg.warehouse_url, needles)
    assert set(found) == KEPT_ON_PURPOSE
    assert found["audit.erasure_suppressions"] == [erased_platform["account"]]


def test_totals_unchanged(erased_platform):
    assert _totals(erased_platform["settings"].warehouse_url) == erased_platform["before"]


def test_request_recorded_without_email(erased_platform):
    cfg = erased_platform["settings"]
    row = _scalar(cfg.warehouse_url, "select row_to_json(r)::text from audit.erasure_requests r")
    assert "ticket GDPR-17" in row
    assert SUBJECT["email"].lower() not in row.lower()
    assert '"status":"done"' in row


@pytest.mark.parametrize("schema", ["marts_build", "marts"])
def test_marts_suite_passes_after_erase(erased_platform, schema):
    # run_suite raises CriticalExpectationFailed, naming each failure, when one is critical.
    outcome = run_suite(erased_platform["settings"], "marts", f"after-erase-{schema}", schema=schema)
    assert outcome.critical_failures == []


def test_anonymous_key_bridged_after_erase(erased_platform):
    rows = erased_platform["anonymous_key_rows"]
    assert len(rows["marts_build.bdg_customer_person"]) == 1
    assert rows["marts.bdg_customer_person"] == rows["marts_build.bdg_customer_person"]
    assert '"is_excluded":true' in rows["marts.bdg_customer_person"][0]
    assert rows["marts.customer_review"] == []
    assert rows["marts.dim_customers"] == []
    assert len(rows["marts.fct_orders"]) == 1
    assert '"is_excluded_customer":true' in rows["marts.fct_orders"][0]
    assert len(rows["marts.fct_order_items"]) == 1


def test_summary_counts_erased_apart(erased_platform):
    cfg = erased_platform["settings"]
    truth = collect_summary(cfg).customer_truth
    assert truth["erased_accounts"] == 1
    assert truth["excluded_accounts"] == _scalar(
        cfg.warehouse_url, "select count(*) from marts.customer_review"
    )
    assert truth["accounts"] == _scalar(
        cfg.warehouse_url, "select count(*) - 1 from marts.bdg_customer_person"
    )


def test_next_run_does_not_bring_back(erased_platform):
    cfg = erased_platform["settings"]
    _run_pipeline(cfg, "run2", erased_platform["home"])
    publish_marts(cfg.warehouse_url, "run2", cfg.role_prefix)
    # The erase wrote the anonymous key's mart rows as the rebuild makes them.
    assert _anonymous_key_rows(cfg.warehouse_url) == erased_platform["anonymous_key_rows"]
    needles = [erased_platform["account"], erased_platform["person"], *PLANTED_VALUES[:9]]
    assert set(_tables_containing(cfg.warehouse_url, needles)) == KEPT_ON_PURPOSE
    assert _tables_containing(cfg.vault_url, needles) == {}
    assert _totals(cfg.warehouse_url) == erased_platform["before"]
    erased_orders = _scalar(
        cfg.warehouse_url,
        "select count(*) from marts_build.fct_orders o join audit.erasure_suppressions s"
        " on o.customer_key = s.anonymous_key",
    )
    shop_orders = sa.create_engine(cfg.shop_url)
    with shop_orders.connect() as conn:
        expected = conn.scalar(
            sa.text("select count(*) from orders where customer_id = :c and deleted_at is null"),
            {"c": SUBJECT["customer_id"]},
        )
    shop_orders.dispose()
    assert erased_orders == expected


def test_unknown_email_not_found(erased_platform):
    result = erase(
        erased_platform["settings"], ErasureRequest("email", "nobody@nowhere.example", "ticket 2", "officer")
    )
    assert result.status == "not_found"
    assert result.accounts == []


@pytest.mark.parametrize(
    ("kind", "subject", "reason"),
    [("email", "", "why"), ("phone", "x", "why"), ("customer_key", "abc", " ")],
)
def test_invalid_request_rejected(kind, subject, reason):
    with pytest.raises(ErasureError):
        ErasureRequest(kind, subject, reason, "officer").check()


def test_erasure_dag_erases_by_key(erased_platform, airflow_environment, module_secrets, dbt_manifest):
    cfg = erased_platform["settings"]
    second = Pseudonymizer.from_env().customer_key("shop", PLANTED_CUSTOMERS[1]["customer_id"])
    env = {**airflow_environment(cfg), **module_secrets}
    conf = {
        "subject_kind": "customer_key",
        "subject": second,
        "reason": "ticket PIPL-47",
        "requested_by": "dpo",
    }
    run = run_dag(env, "2026-12-06T00:00:00+00:00", dag_id="privacy_erasure", conf=conf)
    assert run["returncode"] == 0, run["stderr"][-3000:]
    assert run["report"]["tasks"] == {"erase_person": "success"}
    assert (
        _scalar(
            cfg.vault_url, f"select count(*) from pii.customer_identities where customer_key = '{second}'"
        )
        == 0
    )
    statuses = _scalar(
        cfg.warehouse_url, "select string_agg(status, ',' order by requested_at) from audit.erasure_requests"
    )
    assert statuses.endswith("done")
    assert second not in run["stdout"] + run["stderr"]
