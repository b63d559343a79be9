-- One row per order of either source; soft-deleted shop orders are not included.
with

orders as (

    select * from {{ ref('int_orders_conformed') }}

),

final as (

    select
        order_key::text as order_key,
        source::text as source,
        source_order_id::text as source_order_id,
        customer_key::text as customer_key,
        order_status::text as order_status,
        ordered_at::timestamptz as ordered_at,
        order_date::date as order_date,
        currency::text as currency,
        item_count::integer as item_count,
        items_amount::numeric(14, 2) as items_amount,
        shipping_amount::numeric(14, 2) as shipping_amount,
        order_total::numeric(14, 2) as order_total,
        payment_total::numeric(14, 2) as payment_total,
        is_cancelled::boolean as is_cancelled
    from orders

)

select * from final
