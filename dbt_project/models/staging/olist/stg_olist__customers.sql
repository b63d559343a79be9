-- One row per Olist customer_id (the most recently loaded row wins, and within one
-- file the last row), zip prefixes padded back to 5 digits.
with

source as (

    select * from {{ source('olist', 'customers') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['customer_id'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where customer_id is not null

),

renamed as (

    select
        customer_id,
        customer_unique_id,
        {{ olist_zip_prefix('customer_zip_code_prefix') }} as zip_code_prefix,
        nullif(lower(trim(customer_city)), '') as city,
        nullif(upper(trim(customer_state)), '') as state,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
