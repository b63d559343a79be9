-- Active persons with their coarse golden attributes; merged and retired ones are left out.
with

source as (

    select * from {{ source('identity', 'persons') }}

),

final as (

    select
        person_key,
        country_code,
        state,
        city,
        gender,
        birth_year,
        first_signup_at,
        last_updated_at,
        account_count,
        array_to_string(sources, ',') as sources
    from source
    where status = 'active'

)

select * from final
