-- Latest authenticity score of each person.
with

source as (

    select * from {{ source('authenticity', 'person_scores') }}

),

final as (

    select
        person_key,
        score,
        band,
        is_excluded,
        accounts,
        excluded_accounts,
        reason_codes,
        reasons,
        run_id,
        scored_at
    from source

)

select * from final
