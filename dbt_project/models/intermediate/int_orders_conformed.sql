-- Shop and Olist orders in one shape with their item, shipping and payment totals.
-- Soft-deleted shop orders are left out. Orders without items or payments are kept,
-- with zero totals, so revenue reconciles with the payment files. Amounts are summed
-- at full precision; the marts cast the sums to numeric(14, 2).
with

shop_orders as (

    select * from {{ ref('stg_shop__orders') }}
    where not is_deleted

),

shop_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

shop_payments as (

    select * from {{ ref('stg_shop__payments') }}

),

olist_orders as (

    select * from {{ ref('stg_olist__orders') }}

),

olist_items as (

    select * from {{ ref('stg_olist__order_items') }}

),

olist_payments as (

    select * from {{ ref('stg_olist__order_payments') }}

),

shop_item_totals as (

    select
        order_id,
        sum(quantity) as item_count,
        sum(quantity * unit_price - discount_amount) as items_amount
    from shop_items
    group by order_id

),

shop_payment_totals as (

    -- Net money received: captured payments minus refunds. Failed and pending payments
    -- add nothing.
    select
        order_id,
        sum(
            case payment_status
                when 'captured' then amount
                when 'refunded' then -amount
                else 0
            end
        ) as payment_total
    from shop_payments
    group by order_id

),

olist_item_totals as (

    select
        order_id,
        count(*) as item_count,
        sum(price) as items_amount,
        sum(freight_value) as shipping_amount
    from olist_items
    group by order_id

),

olist_payment_totals as (

    select
        order_id,
        sum(payment_value) as payment_total
    from olist_payments
    group by order_id

),

shop_conformed as (

    select
        {{ pseudonymize("'shop:' || shop_orders.order_id::text") }} as order_key,
        'shop' as source,
        shop_orders.order_id::text as source_order_id,
        {{ pseudonymize("'shop:' || shop_orders.customer_id::text") }} as customer_key,
        shop_orders.order_status,
        shop_orders.ordered_at,
        shop_orders.currency,
        coalesce(shop_item_totals.item_count, 0) as item_count,
        coalesce(shop_item_totals.items_amount, 0) as items_amount,
        shop_orders.shipping_amount,
        coalesce(shop_payment_totals.payment_total, 0) as payment_total
    from shop_orders
    left join shop_item_totals
        on shop_orders.order_id = shop_item_totals.order_id
    left join shop_payment_totals
        on shop_orders.order_id = shop_payment_totals.order_id

),

olist_conformed as (

    select
        {{ pseudonymize("'olist:' || olist_orders.order_id") }} as order_key,
        'olist' as source,
        olist_orders.order_id as source_order_id,
        {{ pseudonymize("'olist:' || olist_orders.customer_id") }} as customer_key,
        olist_orders.order_status,
        olist_orders.purchased_at as ordered_at,
        'BRL' as currency,
        coalesce(olist_item_totals.item_count, 0) as item_count,
        coalesce(olist_item_totals.items_amount, 0) as items_amount,
        coalesce(olist_item_totals.shipping_amount, 0) as shipping_amount,
        coalesce(olist_payment_totals.payment_total, 0) as payment_total
    from olist_orders
    left join olist_item_totals
        on olist_orders.order_id = olist_item_totals.order_id
    left join olist_payment_totals
        on olist_orders.order_id = olist_payment_totals.order_id

),

unioned as (

    select * from shop_conformed
    union all
    select * from olist_conformed

),

erased as (

    select * from {{ ref('stg_audit__erasure_suppressions') }}

),

final as (

    select
        unioned.order_key,
        unioned.source,
        unioned.source_order_id,
        -- The orders of an account erased on request stay, under its anonymous key.
        coalesce(erased.anonymous_key, unioned.customer_key) as customer_key,
        order_status,
        ordered_at,
        (ordered_at at time zone 'UTC')::date as order_date,
        currency,
        item_count,
        items_amount,
        shipping_amount,
        items_amount + shipping_amount as order_total,
        payment_total,
        order_status in ('canceled', 'cancelled') as is_cancelled
    from unioned
    left join erased
        on unioned.customer_key = erased.customer_key

)

select * from final
