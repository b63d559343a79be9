-- Latest version of each shop customer account. Raw holds no direct identifier: the
-- extraction split names, email, phone, birth date, device id and IP off into the PII
-- vault and left the pseudonymous keys and the facts derived from them.
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
        customer_key,
        {{ standardize_gender('gender') }} as gender,
        nullif(upper(trim(country_code)), '') as country_code,
        nullif(lower(trim(signup_channel)), '') as signup_channel,
        signup_device_key,
        signup_ip_key,
        marketing_opt_in,
        email_domain,
        coalesce(email_is_valid, false) as has_valid_email,
        coalesce(phone_is_present, false) as has_phone,
        coalesce(phone_is_valid, false) as has_valid_phone,
        phone_region,
        birth_year,
        birth_date_status,
        age_at_signup,
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
