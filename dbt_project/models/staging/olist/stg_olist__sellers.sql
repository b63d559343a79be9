-- One row per Olist seller, zip prefixes padded back to 5 digits.
with

source as (

    select * from {{ source('olist', 'sellers') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['seller_id'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where seller_id is not null

),

renamed as (

    select
        seller_id,
        {{ olist_zip_prefix('seller_zip_code_prefix') }} as zip_code_prefix,
        nullif(lower(trim(seller_city)), '') as city,
        nullif(upper(trim(seller_state)), '') as state,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
