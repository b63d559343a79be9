-- One row per Portuguese product category name with its English name.
with

source as (

    select * from {{ source('olist', 'product_category_name_translation') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['product_category_name'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where product_category_name is not null

),

renamed as (

    select
        lower(trim(product_category_name)) as category_name,
        nullif(lower(trim(product_category_name_english)), '') as category_name_english,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
