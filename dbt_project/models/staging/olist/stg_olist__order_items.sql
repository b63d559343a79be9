-- One row per Olist order line (order_id, order_item_id).
with

source as (

    select * from {{ source('olist', 'order_items') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['order_id', 'order_item_id'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where order_id is not null
        and order_item_id is not null

),

renamed as (

    select
        order_id,
        order_item_id,
        product_id,
        seller_id,
        {{ olist_local_to_utc('shipping_limit_date') }} as shipping_limit_at,
        price,
        freight_value,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
