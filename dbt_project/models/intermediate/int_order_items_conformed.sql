-- Shop and Olist order lines in one shape. Lines of soft-deleted shop orders are left
-- out with their orders. Olist lines are one unit each and carry their own freight;
-- shop shipping is charged per order, so shop lines have no freight amount.
with

shop_orders as (

    select * from {{ ref('stg_shop__orders') }}
    where not is_deleted

),

shop_items as (

    select * from {{ ref('stg_shop__order_items') }}

),

olist_orders as (

    select * from {{ ref('stg_olist__orders') }}

),

olist_items as (

    select * from {{ ref('stg_olist__order_items') }}

),

shop_conformed as (

    select
        {{ pseudonymize("'shop:' || shop_items.order_item_id::text") }} as order_item_key,
        {{ pseudonymize("'shop:' || shop_items.order_id::text") }} as order_key,
        {{ pseudonymize("'shop:' || shop_orders.customer_id::text") }} as customer_key,
        'shop' as source,
        {{ pseudonymize("'shop:' || shop_items.product_id::text") }} as product_key,
        null::text as seller_key,
        shop_items.line_number as item_sequence,
        shop_items.quantity,
        shop_items.unit_price,
        shop_items.discount_amount,
        shop_items.quantity * shop_items.unit_price - shop_items.discount_amount
            as line_amount,
        null::numeric as freight_amount
    from shop_items
    inner join shop_orders
        on shop_items.order_id = shop_orders.order_id

),

olist_conformed as (

    select
        {{ pseudonymize("'olist:' || olist_items.order_id || ':' || olist_items.order_item_id::text") }}
            as order_item_key,
        {{ pseudonymize("'olist:' || olist_items.order_id") }} as order_key,
        {{ pseudonymize("'olist:' || olist_orders.customer_id") }} as customer_key,
        'olist' as source,
        {{ pseudonymize("'olist:' || olist_items.product_id") }} as product_key,
        {{ pseudonymize("'olist:' || olist_items.seller_id") }} as seller_key,
        olist_items.order_item_id as item_sequence,
        1 as quantity,
        olist_items.price as unit_price,
        0::numeric as discount_amount,
        olist_items.price as line_amount,
        olist_items.freight_value as freight_amount
    from olist_items
    inner join olist_orders
        on olist_items.order_id = olist_orders.order_id

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
        unioned.order_item_key,
        unioned.order_key,
        -- The lines of an account erased on request stay, under its anonymous key.
        coalesce(erased.anonymous_key, unioned.customer_key) as customer_key,
        unioned.source,
        unioned.product_key,
        unioned.seller_key,
        unioned.item_sequence,
        unioned.quantity,
        unioned.unit_price,
        unioned.discount_amount,
        unioned.line_amount,
        unioned.freight_amount
    from unioned
    left join erased
        on unioned.customer_key = erased.customer_key

)

select * from final
