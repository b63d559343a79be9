-- Latest version of each shop order line.
with

source as (

    select * from {{ source('shop', 'order_items') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['order_item_id'], ['updated_at desc', '_loaded_at desc']) }}
            as version_rank
    from source

),

renamed as (

    select
        order_item_id,
        order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        coalesce(discount_amount, 0) as discount_amount,
        created_at,
        updated_at,
        _loaded_at as loaded_at
    from latest
    where version_rank = 1

),

final as (

    select * from renamed

)

select * from final
