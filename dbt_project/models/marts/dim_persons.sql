-- One row per real person: the accounts identity resolution linked, counted once, with
-- their golden coarse attributes and order totals. Persons authenticity scoring excludes
-- are left out (their accounts are in customer_review).
with

persons as (

    select * from {{ ref('int_persons') }}
    where not is_excluded

),

accounts as (

    select * from {{ ref('int_customer_persons') }}

),

orders as (

    select * from {{ ref('int_orders_conformed') }}

),

order_stats as (

    select
        accounts.person_key,
        min(orders.ordered_at) as first_order_at,
        max(orders.ordered_at) as last_order_at,
        count(*) filter (where not orders.is_cancelled) as order_count,
        coalesce(sum(orders.payment_total) filter (where not orders.is_cancelled), 0)
            as lifetime_payments
    from orders
    inner join accounts
        on orders.customer_key = accounts.customer_key
    group by accounts.person_key

),

final as (

    select
        persons.person_key::text as person_key,
        persons.is_resolved::boolean as is_resolved,
        persons.account_count::integer as account_count,
        persons.sources::text as sources,
        persons.country_code::text as country_code,
        persons.state::text as state,
        persons.city::text as city,
        persons.gender::text as gender,
        persons.age_band::text as age_band,
        date_trunc(
            'month',
            coalesce(persons.first_signup_at, order_stats.first_order_at) at time zone 'UTC'
        )::date as first_signup_month,
        persons.first_signup_channel::text as first_signup_channel,
        order_stats.first_order_at::timestamptz as first_order_at,
        order_stats.last_order_at::timestamptz as last_order_at,
        coalesce(order_stats.order_count, 0)::integer as order_count,
        coalesce(order_stats.lifetime_payments, 0)::numeric(14, 2) as lifetime_payments,
        persons.marketing_opt_in::boolean as marketing_opt_in,
        persons.has_live_account::boolean as has_live_account,
        persons.authenticity_score::numeric(5, 1) as authenticity_score,
        persons.authenticity_band::text as authenticity_band,
        persons.authenticity_reasons::text as authenticity_reasons
    from persons
    left join order_stats
        on persons.person_key = order_stats.person_key

)

select * from final
