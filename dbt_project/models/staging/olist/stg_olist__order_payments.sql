-- One row per Olist payment part (order_id, payment_sequential).
with

source as (

    select * from {{ source('olist', 'order_payments') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['order_id', 'payment_sequential'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where order_id is not null
        and payment_sequential is not null

),

renamed as (

    select
        order_id,
        payment_sequential,
        lower(trim(payment_type)) as payment_type,
        payment_installments,
        payment_value,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
