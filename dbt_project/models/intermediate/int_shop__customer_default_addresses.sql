-- One address per shop customer for location attributes: the default address when the
-- customer has one, otherwise the most recently updated. Soft-deleted addresses are
-- never chosen.
with

addresses as (

    select * from {{ ref('stg_shop__addresses') }}
    where not is_deleted

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by is_default desc, updated_at desc, address_id desc
        ) as address_rank
    from addresses

),

final as (

    select
        customer_id,
        address_id,
        address_key,
        city,
        state,
        postcode,
        country_code,
        loaded_at
    from ranked
    where address_rank = 1

)

select * from final
