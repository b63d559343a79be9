-- One row per order of either source; soft-deleted shop orders are not included. Orders
-- of excluded accounts stay, so revenue reconciles with the sources, and carry
-- is_excluded_customer: join them to customer_review rather than dim_customers.
with

orders as (

    select * from {{ ref('int_orders_conformed') }}

),

accounts as (

    select * from {{ ref('int_customer_persons') }}

),

final as (

    select
        orders.order_key::text as order_key,
        orders.source::text as source,
        orders.source_order_id::text as source_order_id,
        orders.customer_key::text as customer_key,
        coalesce(accounts.person_key, orders.customer_key)::text as person_key,
        coalesce(accounts.is_excluded, false)::boolean as is_excluded_customer,
        orders.order_status::text as order_status,
        orders.ordered_at::timestamptz as ordered_at,
        orders.order_date::date as order_date,
        orders.currency::text as currency,
        orders.item_count::integer as item_count,
        orders.items_amount::numeric(14, 2) as items_amount,
        orders.shipping_amount::numeric(14, 2) as shipping_amount,
        orders.order_total::numeric(14, 2) as order_total,
        orders.payment_total::numeric(14, 2) as payment_total,
        orders.is_cancelled::boolean as is_cancelled
    from orders
    left join accounts
        on orders.customer_key = accounts.customer_key

)

select * from final
