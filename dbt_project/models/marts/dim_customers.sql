-- One row per customer account per source (shop accounts, Olist customer_ids, CRM
-- customers), without the accounts authenticity scoring excluded: those are listed with
-- their reasons in customer_review, and every account is in bdg_customer_person.
with

customers as (

    select * from {{ ref('int_customer_persons') }}
    where not is_excluded

),

orders as (

    select * from {{ ref('int_orders_conformed') }}

),

order_stats as (

    select
        customer_key,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as order_count
    from orders
    group by customer_key

),

final as (

    select
        customers.customer_key::text as customer_key,
        customers.person_key::text as person_key,
        customers.source::text as source,
        customers.person_ref_key::text as person_ref_key,
        customers.country_code::text as country_code,
        customers.state::text as state,
        customers.city::text as city,
        customers.gender::text as gender,
        customers.age_band::text as age_band,
        customers.is_birth_date_plausible::boolean as is_birth_date_plausible,
        customers.signup_channel::text as signup_channel,
        date_trunc(
            'month',
            coalesce(customers.signed_up_at, order_stats.first_order_at) at time zone 'UTC'
        )::date as signup_month,
        order_stats.first_order_at::timestamptz as first_order_at,
        order_stats.last_order_at::timestamptz as last_order_at,
        coalesce(order_stats.order_count, 0)::integer as order_count,
        customers.has_valid_email::boolean as has_valid_email,
        customers.has_valid_phone::boolean as has_valid_phone,
        customers.marketing_opt_in::boolean as marketing_opt_in,
        customers.is_deleted::boolean as is_deleted,
        customers.authenticity_score::numeric(5, 1) as authenticity_score,
        customers.authenticity_band::text as authenticity_band,
        customers.authenticity_reasons::text as authenticity_reasons,
        customers.updated_at::timestamptz as updated_at
    from customers
    left join order_stats
        on customers.customer_key = order_stats.customer_key

)

select * from final
