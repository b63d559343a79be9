-- One row per order line of either source.
with

order_items as (

    select * from {{ ref('int_order_items_conformed') }}

),

final as (

    select
        order_item_key::text as order_item_key,
        order_key::text as order_key,
        customer_key::text as customer_key,
        source::text as source,
        product_key::text as product_key,
        seller_key::text as seller_key,
        item_sequence::integer as item_sequence,
        quantity::integer as quantity,
        unit_price::numeric(14, 2) as unit_price,
        discount_amount::numeric(14, 2) as discount_amount,
        line_amount::numeric(14, 2) as line_amount,
        freight_amount::numeric(14, 2) as freight_amount
    from order_items

)

select * from final
