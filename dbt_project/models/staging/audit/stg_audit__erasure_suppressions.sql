-- Accounts erased on request and the anonymous key that stands in for each in the facts.
with

source as (

    select * from {{ source('audit', 'erasure_suppressions') }}

),

final as (

    select
        customer_key,
        source,
        anonymous_key,
        request_id,
        erased_at
    from source

)

select * from final
