-- Latest version of each shop payment, statuses lower-cased (captured, refunded,
-- failed, pending).
with

source as (

    select * from {{ source('shop', 'payments') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['payment_id'], ['updated_at desc', '_loaded_at desc']) }}
            as version_rank
    from source

),

renamed as (

    select
        payment_id,
        order_id,
        nullif(lower(trim(payment_method)), '') as payment_method,
        lower(trim(payment_status)) as payment_status,
        amount,
        upper(trim(currency)) as currency,
        paid_at,
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
