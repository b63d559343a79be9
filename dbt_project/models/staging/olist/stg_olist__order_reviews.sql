-- One row per Olist review and order: Olist reuses a review_id on several orders, so
-- the key is (review_id, order_id), not review_id alone.
with

source as (

    select * from {{ source('olist', 'order_reviews') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['review_id', 'order_id'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where review_id is not null
        and order_id is not null

),

renamed as (

    select
        review_id,
        order_id,
        review_score,
        nullif(trim(review_comment_title), '') as comment_title,
        nullif(trim(review_comment_message), '') as comment_message,
        {{ olist_local_to_utc('review_creation_date') }} as created_at,
        {{ olist_local_to_utc('review_answer_timestamp') }} as answered_at,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
