-- Latest version of each shop product.
with

source as (

    select * from {{ source('shop', 'products') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['product_id'], ['updated_at desc', '_loaded_at desc']) }}
            as version_rank
    from source

),

renamed as (

    select
        product_id,
        trim(sku) as sku,
        trim(product_name) as product_name,
        nullif(lower(trim(category)), '') as category,
        unit_price,
        upper(trim(currency)) as currency,
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
