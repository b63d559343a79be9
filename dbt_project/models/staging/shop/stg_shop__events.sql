-- One row per clickstream event_id: a file loaded twice or a tracker retry lands the
-- same event more than once, and the most recently loaded copy is kept. Device id, IP
-- and anonymous id arrive as their pseudonymous keys.
with

source as (

    select * from {{ source('shop', 'events') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['event_id'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source

),

renamed as (

    select
        event_id,
        lower(trim(event_type)) as event_type,
        occurred_at,
        session_id,
        customer_id,
        anonymous_key,
        device_key,
        ip_key,
        page_url,
        product_id,
        order_id,
        user_agent,
        properties,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
