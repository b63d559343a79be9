-- One row per Olist order, timestamps converted from Sao Paulo local time to UTC.
with

source as (

    select * from {{ source('olist', 'orders') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['order_id'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where order_id is not null

),

renamed as (

    select
        order_id,
        customer_id,
        lower(trim(order_status)) as order_status,
        {{ olist_local_to_utc('order_purchase_timestamp') }} as purchased_at,
        {{ olist_local_to_utc('order_approved_at') }} as approved_at,
        {{ olist_local_to_utc('order_delivered_carrier_date') }} as delivered_to_carrier_at,
        {{ olist_local_to_utc('order_delivered_customer_date') }} as delivered_to_customer_at,
        {{ olist_local_to_utc('order_estimated_delivery_date') }} as estimated_delivery_at,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
