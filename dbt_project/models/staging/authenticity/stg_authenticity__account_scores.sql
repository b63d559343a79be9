-- Latest authenticity score of each account.
with

source as (

    select * from {{ source('authenticity', 'account_scores') }}

),

final as (

    select
        customer_key,
        person_key,
        score,
        band,
        is_excluded,
        reason_codes,
        reasons,
        review_decision,
        run_id,
        scored_at
    from source

)

select * from final
