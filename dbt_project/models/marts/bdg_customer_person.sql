-- Bridge from every source account, excluded ones included, to the person it belongs to.
with

customers as (

    select * from {{ ref('int_customer_persons') }}

),

final as (

    select
        customer_key::text as customer_key,
        person_key::text as person_key,
        source::text as source,
        link_rule::text as link_rule,
        link_probability::double precision as link_probability,
        is_resolved::boolean as is_resolved,
        is_excluded::boolean as is_excluded
    from customers

)

select * from final
