"""A small warehouse for the quality gate tests: raw tables from the real DDL, hand-made marts.

The marts are created here with the columns of docs/architecture.md, not by dbt, so the
gate is tested on rows whose every defect is planted on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse.config import Settings
from customer_warehouse.warehouse import bootstrap
from tests.support import make_settings

CUSTOMERS = 20

MARTS_DDL = """
create schema if not exists marts_build;
create table marts_build.dim_customers (
    customer_key text, person_key text, source text, person_ref_key text, country_code text, state text,
    city text, gender text, age_band text, is_birth_date_plausible boolean, signup_channel text,
    signup_month date, first_order_at timestamptz, last_order_at timestamptz, order_count integer,
    has_valid_email boolean, has_valid_phone boolean, marketing_opt_in boolean, is_deleted boolean,
    authenticity_score numeric(5, 1), authenticity_band text, authenticity_reasons text,
    updated_at timestamptz
);
create table marts_build.dim_persons (
    person_key text, is_resolved boolean, account_count integer, sources text, country_code text, state text,
    city text, gender text, age_band text, first_signup_month date, first_signup_channel text,
    first_order_at timestamptz, last_order_at timestamptz, order_count integer,
    lifetime_payments numeric(14, 2),
    marketing_opt_in boolean, has_live_account boolean, authenticity_score numeric(5, 1),
    authenticity_band text, authenticity_reasons text
);
create table marts_build.bdg_customer_person (
    customer_key text, person_key text, source text, link_rule text, link_probability double precision,
    is_resolved boolean, is_excluded boolean
);
create table marts_build.customer_review (
    customer_key text, person_key text, source text, country_code text, state text, signup_channel text,
    signup_month date, authenticity_score numeric(5, 1), authenticity_band text, reason_codes text,
    reasons text, review_decision text, is_deleted boolean
);
create table marts_build.fct_orders (
    order_key text, source text, source_order_id text, customer_key text, person_key text,
    is_excluded_customer boolean, order_status text, ordered_at timestamptz, order_date date, currency text,
    item_count integer, items_amount numeric(12, 2), shipping_amount numeric(12, 2),
    order_total numeric(12, 2),
    payment_total numeric(12, 2), is_cancelled boolean
);
create table marts_build.fct_order_items (
    order_item_key text, order_key text, customer_key text, source text, product_key text, seller_key text,
    item_sequence integer, quantity integer, unit_price numeric(12, 2), discount_amount numeric(12, 2),
    line_amount numeric(12, 2), freight_amount numeric(12, 2)
);
create table marts_build.customer_rfm (
    person_key text, source text, as_of_date date, first_order_date date, last_order_date date,
    recency_days integer, frequency integer, monetary numeric(12, 2), r_score integer, f_score integer,
    m_score integer, rfm_cell text
);
create table marts_build.customer_segments (
    person_key text, source text, segment text, r_score integer, f_score integer, m_score integer,
    as_of_date date
);
"""

# Keys look like the HMAC-SHA256 hex digests the real marts carry. Customers c1..c20 are
# persons p1..p20; customer c20 is excluded and listed in customer_review.
MARTS_ROWS = f"""
insert into marts_build.dim_customers
select encode(digest('c' || i, 'sha256'), 'hex'), encode(digest('p' || i, 'sha256'), 'hex'),
       case when mod(i, 4) = 0 then 'olist' else 'shop' end,
       encode(digest('r' || i, 'sha256'), 'hex'), 'BR', 'SP', 'Sao Paulo', 'f', '25-34', true, 'web',
       date '2025-01-01', now() - interval '30 days', now() - interval '2 days', 2, true, true, false,
       false, 95.0, 'trusted', '', now()
from generate_series(1, {CUSTOMERS} - 1) as i;
insert into marts_build.dim_persons
select encode(digest('p' || i, 'sha256'), 'hex'), true, 1, 'shop', 'BR', 'SP', 'Sao Paulo', 'female', '25-34',
       date '2025-01-01', 'web', now() - interval '30 days', now() - interval '2 days', 2, 90.00, true, true,
       95.0, 'trusted', ''
from generate_series(1, {CUSTOMERS} - 1) as i;
insert into marts_build.bdg_customer_person
select encode(digest('c' || i, 'sha256'), 'hex'), encode(digest('p' || i, 'sha256'), 'hex'), 'shop',
       'unlinked', null, true, i = {CUSTOMERS}
from generate_series(1, {CUSTOMERS}) as i;
insert into marts_build.customer_review
select encode(digest('c' || i, 'sha256'), 'hex'), encode(digest('p' || i, 'sha256'), 'hex'), 'shop', 'BR',
       'SP', 'web', date '2025-01-01', 20.0, 'excluded', 'email_disposable',
       'email domain is disposable (mailinator.com)', null, false
from generate_series({CUSTOMERS}, {CUSTOMERS}) as i;
insert into marts_build.fct_orders
select encode(digest('o' || i, 'sha256'), 'hex'), 'shop', (1000 + i)::text,
       encode(digest('c' || (mod(i, {CUSTOMERS} - 1) + 1), 'sha256'), 'hex'),
       encode(digest('p' || (mod(i, {CUSTOMERS} - 1) + 1), 'sha256'), 'hex'), false, 'delivered',
       now() - interval '2 days', current_date - 2, 'EUR', 1, 40.00, 5.00, 45.00, 45.00, false
from generate_series(1, 40) as i;
insert into marts_build.fct_order_items
select encode(digest('l' || i, 'sha256'), 'hex'), encode(digest('o' || i, 'sha256'), 'hex'),
       encode(digest('c' || (mod(i, {CUSTOMERS} - 1) + 1), 'sha256'), 'hex'), 'shop',
       encode(digest('pr' || i, 'sha256'), 'hex'), null, 1, 2, 20.00, 0.00, 40.00, 0.00
from generate_series(1, 40) as i;
insert into marts_build.customer_rfm
select encode(digest('p' || i, 'sha256'), 'hex'), 'shop', current_date, current_date - 30, current_date - 2,
       2, 2, 90.00, 1 + mod(i, 5), 1 + mod(i + 1, 5), 1 + mod(i + 2, 5), '123'
from generate_series(1, {CUSTOMERS} - 1) as i;
insert into marts_build.customer_segments
select person_key, source, 'loyal', r_score, f_score, m_score, as_of_date from marts_build.customer_rfm;
"""

RAW_ROWS = f"""
insert into raw.shop_customers (customer_id, customer_key, gender, country_code, signup_channel,
    marketing_opt_in, email_domain, email_is_valid, phone_is_present, phone_is_valid, phone_region,
    birth_year, birth_date_status, age_at_signup, created_at, updated_at, _batch_id, _source, _source_object)
select i, encode(digest('c' || i, 'sha256'), 'hex'), 'f', 'PT', 'web', true, 'example.com', true, true,
       true, 'PT', 1990, 'valid', 34, now(), now(), 'b1', 'shop', 'customers'
from generate_series(1, {CUSTOMERS}) as i;
insert into raw.shop_orders (order_id, customer_id, order_status, currency, shipping_amount, order_total,
    ordered_at, created_at, updated_at, _batch_id, _source, _source_object)
select i, mod(i, {CUSTOMERS}) + 1, 'delivered', 'EUR', 5.00, 45.00, now(), now(), now(),
       'b1', 'shop', 'orders'
from generate_series(1, 40) as i;
insert into raw.olist_customers (customer_id, customer_unique_id, customer_zip_code_prefix, customer_city,
    customer_state, _batch_id, _source, _source_object)
select 'oc' || i, 'ou' || i, lpad((1000 + i * 37)::text, 5, '0'), 'sao paulo', 'SP',
       'b1', 'olist', 'customers.csv'
from generate_series(1, 10) as i;
insert into raw.olist_order_reviews (review_id, order_id, review_score, _batch_id, _source, _source_object)
select 'r' || i, 'o' || i, 1 + mod(i, 5), 'b1', 'olist', 'reviews.csv' from generate_series(1, 10) as i;
"""


@pytest.fixture()
def warehouse(pg_database: Callable[[str], str]) -> Engine:
    """A bootstrapped warehouse with clean raw rows (batch ``b1``) and clean candidate marts."""
    engine = bootstrap(pg_database("quality"))
    with engine.begin() as conn:
        conn.exec_driver_sql(MARTS_DDL)
        conn.exec_driver_sql(MARTS_ROWS)
        conn.exec_driver_sql(RAW_ROWS)
    yield engine
    engine.dispose()


@pytest.fixture()
def settings(tmp_path: Path, warehouse: Engine) -> Settings:
    url = warehouse.url.render_as_string(hide_password=False)
    return make_settings(tmp_path / "home", url)


def execute(engine: Engine, sql: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def stored_results(engine: Engine, run_id: str) -> list[dict]:
    with engine.connect() as conn:
        query = sa.text(
            "select *, details::text as details_text from audit.quality_results where run_id = :r"
        )
        return [dict(row) for row in conn.execute(query, {"r": run_id}).mappings()]
