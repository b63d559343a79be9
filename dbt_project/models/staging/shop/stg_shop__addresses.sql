-- Latest version of each shop address. Postcodes stay text so leading zeros survive.
-- The street lines are in the PII vault; has_street_address tells whether there are any.
with

source as (

    select * from {{ source('shop', 'addresses') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['address_id'], ['updated_at desc', '_loaded_at desc']) }}
            as version_rank
    from source

),

renamed as (

    select
        address_id,
        customer_id,
        nullif(lower(trim(address_type)), '') as address_type,
        address_key,
        customer_key,
        coalesce(has_street_address, false) as has_street_address,
        nullif(trim(city), '') as city,
        nullif(trim(state), '') as state,
        nullif(upper(trim(postcode)), '') as postcode,
        nullif(upper(trim(country_code)), '') as country_code,
        coalesce(is_default, false) as is_default,
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
