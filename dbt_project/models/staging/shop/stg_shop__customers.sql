-- Latest version of each shop customer account, with contact fields standardized.
with

source as (

    select * from {{ source('shop', 'customers') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['customer_id'], ['updated_at desc', '_loaded_at desc']) }}
            as version_rank
    from source

),

renamed as (

    select
        customer_id,
        given_name,
        family_name,
        full_name,
        nullif(lower(trim(email)), '') as email,
        nullif(trim(phone), '') as phone_as_written,
        {{ to_e164('phone', 'country_code') }} as phone_e164,
        {{ parse_birth_date('birth_date') }} as birth_date,
        {{ standardize_gender('gender') }} as gender,
        nullif(upper(trim(country_code)), '') as country_code,
        nullif(lower(trim(signup_channel)), '') as signup_channel,
        signup_device_id,
        signup_ip,
        marketing_opt_in,
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
