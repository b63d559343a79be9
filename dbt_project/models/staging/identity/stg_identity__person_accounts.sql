-- The person each resolved account belongs to, and what linked it.
with

source as (

    select * from {{ source('identity', 'person_accounts') }}

),

final as (

    select
        customer_key,
        source,
        person_key,
        link_rule,
        link_probability,
        updated_run_id
    from source

)

select * from final
