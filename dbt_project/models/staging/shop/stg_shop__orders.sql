-- Latest version of each shop order header, soft-deleted orders flagged, not removed.
with

source as (

    select * from {{ source('shop', 'orders') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['order_id'], ['updated_at desc', '_loaded_at desc']) }}
            as version_rank
    from source

),

renamed as (

    select
        order_id,
        customer_id,
        shipping_address_id,
        lower(trim(order_status)) as order_status,
        upper(trim(currency)) as currency,
        coalesce(shipping_amount, 0) as shipping_amount,
        order_total as reported_order_total,
        ordered_at,
        created_at,
        updated_at,
        deleted_at,
        deleted_at is not null as is_deleted,
        _loaded_at as loaded_at
    from latest
    where version_rank = 1

),

final as (

    select * from renamed

)

select * from final
