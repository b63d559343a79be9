-- Latest version of each shop product review.
with

source as (

    select * from {{ source('shop', 'reviews') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['review_id'], ['updated_at desc', '_loaded_at desc']) }}
            as version_rank
    from source

),

renamed as (

    select
        review_id,
        order_id,
        customer_id,
        product_id,
        rating,
        title,
        body,
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
