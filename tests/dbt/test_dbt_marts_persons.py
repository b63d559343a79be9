"""dbt build of the person marts over hand-made identity and authenticity rows.

The raw rows are those of ``raw_cases``; identity resolution and scoring are stood in
for by rows written straight into their tables, so every expected value can be worked
out by hand: Olist oc-1 and oc-2 are one person, shop accounts 1 and 3 are one person,
shop account 5 is excluded as a fake and shop account 2 is suspect.
"""

from __future__ import annotations

import pytest

from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.warehouse import bootstrap
from tests.dbt.dbt_support import (
    DbtRun,
    connect,
    dbt_failure_message,
    fetch_all,
    fetch_one_value,
    load_raw_cases,
    run_dbt,
)
from tests.support import make_settings

OLIST_PERSON = "a" * 64
SHOP_PERSON = "b" * 64
MERGED_PERSON = "c" * 64


def _identity_rows(keys: Pseudonymizer) -> list[tuple[str, tuple]]:
    def account(source: str, source_id: str, person: str, rule: str, probability: float | None) -> tuple:
        return (keys.customer_key(source, source_id), source, person, rule, probability)

    accounts = [
        account("olist", "oc-1", OLIST_PERSON, "same_person_ref", 1.0),
        account("olist", "oc-2", OLIST_PERSON, "same_person_ref", 1.0),
        account("shop", "1", SHOP_PERSON, "probabilistic", 0.997),
        account("shop", "3", SHOP_PERSON, "probabilistic", 0.997),
    ]
    statements = [
        (
            "insert into identity.person_accounts (customer_key, source, person_key, link_rule,"
            " link_probability, blocking_keys, updated_run_id) values (%s, %s, %s, %s, %s, '{}', 'id-1')",
            row,
        )
        for row in accounts
    ]
    persons = [
        (OLIST_PERSON, "active", None, "BR", "SP", "sao paulo", "unknown", None, 2, "{olist}"),
        (SHOP_PERSON, "active", None, "CN", "BJ", "Beijing", "female", 1990, 2, "{shop}"),
        (MERGED_PERSON, "merged", SHOP_PERSON, "CN", "BJ", "Beijing", "female", 1990, 0, "{shop}"),
    ]
    statements += [
        (
            "insert into identity.persons (person_key, status, merged_into_person_key, country_code, state,"
            " city, gender, birth_year, account_count, sources, updated_run_id)"
            " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'id-1')",
            row,
        )
        for row in persons
    ]
    return statements


def _score_rows(keys: Pseudonymizer) -> list[tuple[str, tuple]]:
    scores = [
        (keys.customer_key("shop", "5"), "shop", keys.customer_key("shop", "5"), 20, "excluded", True,
         "{email_disposable,signup_burst_device}", "email domain is disposable (mailinator.com)"),
        (keys.customer_key("shop", "2"), "shop", keys.customer_key("shop", "2"), 70, "suspect", False,
         "{phone_invalid}", "phone invalid for CN"),
    ]  # fmt: skip
    statements = [
        (
            "insert into authenticity.account_scores (customer_key, source, person_key, score, band,"
            " is_excluded, reason_codes, reasons, evidence, run_id) values"
            " (%s, %s, %s, %s, %s, %s, %s, %s, '{}', 'auth-1')",
            row,
        )
        for row in scores
    ]
    statements.append(
        (
            "insert into authenticity.person_scores (person_key, score, band, is_excluded, accounts,"
            " excluded_accounts, reason_codes, reasons, run_id)"
            " values (%s, 20, 'excluded', true, 1, 1, '{email_disposable}',"
            " 'email domain is disposable', 'auth-1')",
            (keys.customer_key("shop", "5"),),
        )
    )
    return statements


@pytest.fixture(scope="module")
def conn(pg_database, module_pseudonym_key, tmp_path_factory):
    url = pg_database("dbt_persons")
    bootstrap(url).dispose()
    keys = Pseudonymizer(module_pseudonym_key)
    setup = connect(url)
    load_raw_cases(setup, keys)
    with setup.cursor() as cursor:
        for sql, params in _identity_rows(keys) + _score_rows(keys):
            cursor.execute(sql, params)
    setup.close()
    home = tmp_path_factory.mktemp("dbt_persons")
    result = run_dbt(make_settings(home, url), ["build"], DbtRun(home / "target", home / "logs"))
    assert result.returncode == 0, dbt_failure_message(result)
    built = connect(url, module_pseudonym_key)
    yield built
    built.close()


def _key(conn, source: str, source_id: str) -> str:
    return fetch_one_value(
        conn,
        "select encode(hmac(convert_to(%s, 'UTF8'),"
        " convert_to(current_setting('cw.pseudonym_key'), 'UTF8'), 'sha256'), 'hex')",
        (f"{source}:{source_id}",),
    )


def test_linked_accounts_one_person(conn):
    row = fetch_all(
        conn,
        "select account_count, sources, order_count, is_resolved from marts_build.dim_persons"
        " where person_key = %s",
        (OLIST_PERSON,),
    )
    assert row == [(2, "olist", 2, True)]


def test_person_takes_golden_attributes(conn):
    row = fetch_all(
        conn,
        "select country_code, city, gender, age_band <> 'unknown' from marts_build.dim_persons"
        " where person_key = %s",
        (SHOP_PERSON,),
    )
    assert row == [("CN", "Beijing", "female", True)]


def test_merged_person_not_listed(conn):
    count = fetch_one_value(
        conn, "select count(*) from marts_build.dim_persons where person_key = %s", (MERGED_PERSON,)
    )
    assert count == 0


def test_unresolved_account_is_own_person(conn):
    key = _key(conn, "olist", "oc-3")
    row = fetch_all(
        conn, "select is_resolved, account_count from marts_build.dim_persons where person_key = %s", (key,)
    )
    assert row == [(False, 1)]


def test_persons_counted_once(conn):
    accounts = fetch_one_value(conn, "select count(*) from marts_build.bdg_customer_person")
    persons = fetch_one_value(conn, "select count(distinct person_key) from marts_build.bdg_customer_person")
    assert accounts - persons == 2


def test_excluded_account_in_review_only(conn):
    key = _key(conn, "shop", "5")
    in_dim = fetch_one_value(
        conn, "select count(*) from marts_build.dim_customers where customer_key = %s", (key,)
    )
    review = fetch_all(
        conn, "select reason_codes, reasons from marts_build.customer_review where customer_key = %s", (key,)
    )
    assert in_dim == 0
    assert review == [("email_disposable,signup_burst_device", "email domain is disposable (mailinator.com)")]


def test_excluded_person_left_out(conn):
    key = _key(conn, "shop", "5")
    count = fetch_one_value(
        conn, "select count(*) from marts_build.dim_persons where person_key = %s", (key,)
    )
    assert count == 0


def test_excluded_orders_kept_and_flagged(conn):
    key = _key(conn, "shop", "5")
    rows = fetch_all(
        conn,
        "select source_order_id, is_excluded_customer from marts_build.fct_orders where customer_key = %s",
        (key,),
    )
    assert rows == [("5", True)]


def test_suspect_account_stays_with_reason(conn):
    key = _key(conn, "shop", "2")
    row = fetch_all(
        conn,
        "select authenticity_band, authenticity_score, authenticity_reasons from marts_build.dim_customers"
        " where customer_key = %s",
        (key,),
    )
    assert row == [("suspect", 70, "phone invalid for CN")]


def test_rfm_counts_person_orders(conn):
    row = fetch_all(
        conn,
        "select frequency from marts_build.customer_rfm where person_key = %s and source = 'olist'",
        (OLIST_PERSON,),
    )
    assert row == [(2,)]


def test_rfm_leaves_out_excluded(conn):
    key = _key(conn, "shop", "5")
    count = fetch_one_value(
        conn, "select count(*) from marts_build.customer_rfm where person_key = %s", (key,)
    )
    assert count == 0
