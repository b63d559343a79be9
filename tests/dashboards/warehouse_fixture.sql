-- Published marts and audit rows for the dashboard tests: plausible generated data in the
-- column layout of marts.dim_customers, fct_orders, customer_rfm and customer_segments.
-- The audit schema itself comes from plugins/customer_warehouse/sql/001_audit.sql.
-- setseed makes every run generate the same rows.
select setseed(0.42);

create schema if not exists marts;

create table marts.dim_customers (
    customer_key text primary key,
    source text not null,
    person_ref_key text,
    country_code text,
    state text,
    city text,
    gender text,
    age_band text,
    is_birth_date_plausible boolean,
    signup_channel text,
    signup_month date,
    first_order_at timestamptz,
    last_order_at timestamptz,
    order_count integer,
    has_valid_email boolean,
    has_valid_phone boolean,
    marketing_opt_in boolean,
    is_deleted boolean not null,
    updated_at timestamptz
);

insert into marts.dim_customers
select
    md5(sources.source || ':' || n) as customer_key,
    sources.source,
    md5('person:' || n) as person_ref_key,
    sources.country_code,
    (array['SP', 'RJ', 'MG', 'PR'])[1 + floor(random() * 4)::int] as state,
    (array['Sao Paulo', 'Rio de Janeiro', 'Curitiba', 'Belo Horizonte'])[1 + floor(random() * 4)::int] as city,
    (array['f', 'm', 'unknown'])[1 + floor(random() * 3)::int] as gender,
    (array['18-24', '25-34', '35-44', '45-54', '55+'])[1 + floor(random() * 5)::int] as age_band,
    random() > 0.05 as is_birth_date_plausible,
    (array['web', 'app', 'marketplace'])[1 + floor(random() * 3)::int] as signup_channel,
    date_trunc('month', date '2024-01-01' + floor(random() * 540)::int)::date as signup_month,
    null::timestamptz as first_order_at,
    null::timestamptz as last_order_at,
    0 as order_count,
    random() > 0.1 as has_valid_email,
    random() > 0.3 as has_valid_phone,
    random() > 0.5 as marketing_opt_in,
    random() < 0.04 as is_deleted,
    now() as updated_at
from generate_series(1, 400) as n
cross join (values ('shop', 'DE'), ('olist', 'BR')) as sources (source, country_code);

create table marts.fct_orders (
    order_key text primary key,
    source text not null,
    source_order_id text not null,
    customer_key text not null references marts.dim_customers (customer_key),
    order_status text,
    ordered_at timestamptz,
    order_date date,
    currency text,
    item_count integer,
    items_amount numeric(12, 2),
    shipping_amount numeric(12, 2),
    order_total numeric(12, 2),
    payment_total numeric(12, 2),
    is_cancelled boolean not null
);

with customers as (
    select customer_key, source, signup_month, row_number() over (order by customer_key) as position
    from marts.dim_customers
),

draws as (
    select
        n,
        1 + floor(random() * (select count(*) from customers))::int as position,
        floor(random() * 180)::int as days_after_signup,
        round((20 + random() * 380)::numeric, 2) as items_amount,
        round((random() * 25)::numeric, 2) as shipping_amount,
        1 + floor(random() * 4)::int as item_count,
        random() < 0.06 as is_cancelled
    from generate_series(1, 2400) as n
)

insert into marts.fct_orders
select
    md5('order:' || draws.n) as order_key,
    customers.source,
    'o-' || draws.n as source_order_id,
    customers.customer_key,
    case when draws.is_cancelled then 'canceled' else 'delivered' end as order_status,
    customers.signup_month + draws.days_after_signup + interval '13 hours' as ordered_at,
    customers.signup_month + draws.days_after_signup as order_date,
    case customers.source when 'olist' then 'BRL' else 'EUR' end as currency,
    draws.item_count,
    draws.items_amount,
    draws.shipping_amount,
    draws.items_amount + draws.shipping_amount as order_total,
    case when draws.is_cancelled then 0 else draws.items_amount + draws.shipping_amount end as payment_total,
    draws.is_cancelled
from draws
inner join customers on customers.position = draws.position;

update marts.dim_customers as customers
set
    first_order_at = stats.first_order_at,
    last_order_at = stats.last_order_at,
    order_count = stats.order_count
from (
    select customer_key, min(ordered_at) as first_order_at, max(ordered_at) as last_order_at,
        count(*) as order_count
    from marts.fct_orders
    group by customer_key
) as stats
where stats.customer_key = customers.customer_key;

create table marts.customer_rfm (
    customer_key text primary key,
    source text not null,
    as_of_date date not null,
    first_order_date date,
    last_order_date date,
    recency_days integer,
    frequency integer,
    monetary numeric(14, 2),
    r_score integer,
    f_score integer,
    m_score integer,
    rfm_cell text
);

insert into marts.customer_rfm
with per_customer as (
    select
        customer_key,
        source,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) as frequency,
        sum(payment_total) as monetary
    from marts.fct_orders
    where not is_cancelled
    group by customer_key, source
),

scored as (
    select
        *,
        date '2025-12-31' - last_order_date as recency_days,
        6 - ntile(5) over (order by last_order_date desc) as r_rank,
        ntile(5) over (order by frequency, customer_key) as f_score,
        ntile(5) over (order by monetary) as m_score
    from per_customer
)

select
    customer_key,
    source,
    date '2025-12-31' as as_of_date,
    first_order_date,
    last_order_date,
    recency_days,
    frequency,
    monetary,
    6 - r_rank as r_score,
    f_score,
    m_score,
    (6 - r_rank)::text || f_score::text || m_score::text as rfm_cell
from scored;

create table marts.customer_segments (
    customer_key text primary key,
    source text not null,
    segment text not null,
    r_score integer,
    f_score integer,
    m_score integer,
    as_of_date date not null
);

insert into marts.customer_segments
select
    customer_key,
    source,
    case
        when r_score >= 4 and f_score >= 4 then 'champions'
        when r_score >= 3 and f_score >= 3 then 'loyal'
        when r_score >= 4 then 'new'
        when r_score <= 2 and f_score >= 3 then 'at risk'
        else 'hibernating'
    end as segment,
    r_score,
    f_score,
    m_score,
    as_of_date
from marts.customer_rfm;

insert into audit.load_batches (
    batch_id, run_id, source, source_object, target_table, status,
    rows_read, rows_loaded, rows_quarantined, started_at, finished_at
)
select
    'batch-' || day || '-' || objects.source_object as batch_id,
    'run-' || day as run_id,
    objects.source,
    objects.source_object,
    'raw.' || objects.target_table,
    case when quarantined > 0 then 'partial' else 'loaded' end as status,
    read_rows,
    read_rows - quarantined,
    quarantined,
    timestamptz '2025-11-01 02:00+00' + day * interval '1 day' as started_at,
    timestamptz '2025-11-01 02:05+00' + day * interval '1 day' as finished_at
from generate_series(0, 13) as day
cross join (
    values
        ('shop', 'customers', 'shop_customers'),
        ('shop', 'orders', 'shop_orders'),
        ('olist', 'olist_orders_dataset.csv', 'olist_orders')
) as objects (source, source_object, target_table)
cross join lateral (
    select
        200 + floor(random() * 800)::int + 0 * (day + length(objects.source_object)) as read_rows,
        floor(random() * 12)::int + 0 * (day + length(objects.source_object)) as quarantined
) as counts;

insert into audit.quarantine (batch_id, source, source_object, source_row, rule, column_name, reason)
select
    batches.batch_id,
    batches.source,
    batches.source_object,
    row_number,
    rules.rule,
    rules.column_name,
    'generated test row: ' || rules.rule || ' on ' || rules.column_name
from audit.load_batches as batches
cross join lateral generate_series(1, batches.rows_quarantined) as row_number
cross join lateral (
    select *
    from (
        values
            ('not_null', 'customer_id'),
            ('numeric', 'payment_value'),
            ('not_future', 'order_purchase_timestamp')
    ) as candidates (rule, column_name)
    order by random() + row_number * 0
    limit 1
) as rules;

insert into audit.quality_results (
    run_id, suite_name, data_asset, expectation_type, column_name, severity,
    success, observed_value, unexpected_count, unexpected_percent, validated_at
)
select
    'run-' || day,
    expectations.suite_name,
    expectations.data_asset,
    expectations.expectation_type,
    expectations.column_name,
    expectations.severity,
    outcome.success,
    case when outcome.success then '0' else '7' end,
    case when outcome.success then 0 else 7 end,
    case when outcome.success then 0 else 0.7 end,
    timestamptz '2025-11-01 03:00+00' + day * interval '1 day'
from generate_series(0, 13) as day
cross join (
    values
        ('raw_inputs', 'raw.shop_customers', 'expect_column_values_to_not_be_null', 'email', 'critical'),
        ('raw_inputs', 'raw.shop_orders', 'expect_column_values_to_be_between', 'order_total', 'warning'),
        ('raw_inputs', 'raw.olist_orders', 'expect_column_values_to_be_unique', 'order_id', 'critical'),
        ('marts', 'marts_build.dim_customers', 'expect_column_values_to_be_unique', 'customer_key', 'critical'),
        ('marts', 'marts_build.fct_orders', 'expect_column_values_to_not_be_null', 'currency', 'warning'),
        ('customer_authenticity', 'intermediate.int_customers', 'expect_column_mean_to_be_between',
            'signup_velocity', 'info')
) as expectations (suite_name, data_asset, expectation_type, column_name, severity)
cross join lateral (
    select random() > 0.2 + 0 * (day + length(expectations.column_name)) as success
) as outcome;
