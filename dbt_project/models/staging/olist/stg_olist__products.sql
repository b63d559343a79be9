-- One row per Olist product, with the English category name where a translation exists.
with

source as (

    select * from {{ source('olist', 'products') }}

),

translations as (

    select * from {{ ref('stg_olist__product_category_name_translation') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['product_id'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where product_id is not null

),

renamed as (

    select
        product_id,
        nullif(lower(trim(product_category_name)), '') as category_name,
        product_name_lenght as name_length,
        product_description_lenght as description_length,
        product_photos_qty as photo_count,
        product_weight_g as weight_g,
        product_length_cm as length_cm,
        product_height_cm as height_cm,
        product_width_cm as width_cm,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select
        renamed.product_id,
        renamed.category_name,
        translations.category_name_english,
        renamed.name_length,
        renamed.description_length,
        renamed.photo_count,
        renamed.weight_g,
        renamed.length_cm,
        renamed.height_cm,
        renamed.width_cm,
        renamed.loaded_at
    from renamed
    left join translations
        on renamed.category_name = translations.category_name

)

select * from final
