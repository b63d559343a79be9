-- Shop accounts, Olist customer_ids and CRM customers in one shape, keyed by pseudonymous
-- keys. Shop keys come from the extraction (the same HMAC the vault uses); Olist and CRM
-- keys are computed here.
with

shop_customers as (

    select * from {{ ref('stg_shop__customers') }}

),

shop_addresses as (

    select * from {{ ref('int_shop__customer_default_addresses') }}

),

olist_customers as (

    select * from {{ ref('stg_olist__customers') }}

),

crm_customers as (

    select * from {{ ref('stg_crm__customers') }}

),

shop_conformed as (

    select
        shop_customers.customer_key,
        'shop' as source,
        shop_customers.customer_id::text as source_customer_id,
        null::text as person_ref_key,
        shop_customers.country_code,
        shop_addresses.state,
        shop_addresses.city,
        shop_customers.gender,
        case
            when shop_customers.birth_date_status <> 'valid' then null
            else shop_customers.age_at_signup between 13 and 110
        end as is_birth_date_plausible,
        -- Raw keeps the age at sign-up, not the birth date, so today's age is off by at
        -- most one year around the birthday.
        shop_customers.age_at_signup
        + extract(
            year from age(current_date, coalesce(shop_customers.created_at, current_timestamp)::date)
        ) as age_today,
        shop_customers.signup_channel,
        shop_customers.created_at as signed_up_at,
        shop_customers.marketing_opt_in,
        shop_customers.has_valid_email,
        shop_customers.has_valid_phone,
        shop_customers.is_deleted,
        shop_customers.updated_at
    from shop_customers
    left join shop_addresses
        on shop_customers.customer_id = shop_addresses.customer_id

),

olist_conformed as (

    select
        {{ pseudonymize("'olist:' || customer_id") }} as customer_key,
        'olist' as source,
        customer_id as source_customer_id,
        {{ pseudonymize("'olist:' || customer_unique_id") }} as person_ref_key,
        'BR' as country_code,
        state,
        city,
        'unknown' as gender,
        null::boolean as is_birth_date_plausible,
        null::double precision as age_today,
        null::text as signup_channel,
        null::timestamptz as signed_up_at,
        null::boolean as marketing_opt_in,
        null::boolean as has_valid_email,
        null::boolean as has_valid_phone,
        false as is_deleted,
        loaded_at as updated_at
    from olist_customers

),

crm_conformed as (

    select
        {{ pseudonymize("'crm:' || customer_id::text") }} as customer_key,
        'crm' as source,
        customer_id::text as source_customer_id,
        null::text as person_ref_key,
        null::text as country_code,
        null::text as state,
        null::text as city,
        'unknown' as gender,
        -- The export has the birth year only, so ages are exact to within a year.
        case
            when birth_year is null or signed_up_on is null then null
            else extract(year from signed_up_on) - birth_year between 13 and 110
        end as is_birth_date_plausible,
        (extract(year from current_date) - birth_year)::double precision as age_today,
        null::text as signup_channel,
        signed_up_on::timestamp at time zone 'UTC' as signed_up_at,
        -- Campaign responses are not consent: the export records none.
        null::boolean as marketing_opt_in,
        null::boolean as has_valid_email,
        null::boolean as has_valid_phone,
        false as is_deleted,
        loaded_at as updated_at
    from crm_customers

),

unioned as (

    select * from shop_conformed
    union all
    select * from olist_conformed
    union all
    select * from crm_conformed

),

erased as (

    select * from {{ ref('stg_audit__erasure_suppressions') }}

),

kept as (

    select
        customer_key,
        source,
        source_customer_id,
        person_ref_key,
        country_code,
        state,
        city,
        gender,
        {{ age_band('age_today', 'is_birth_date_plausible') }} as age_band,
        is_birth_date_plausible,
        signup_channel,
        signed_up_at,
        marketing_opt_in,
        has_valid_email,
        has_valid_phone,
        is_deleted,
        false as is_erased,
        updated_at
    from unioned
    where customer_key not in (select customer_key from erased)

),

-- One account without any attribute per account erased on request, under its anonymous
-- key, so the orders moved to that key still join to an account.
erased_placeholders as (

    select
        anonymous_key as customer_key,
        source,
        null::text as source_customer_id,
        null::text as person_ref_key,
        null::text as country_code,
        null::text as state,
        null::text as city,
        'unknown' as gender,
        'unknown' as age_band,
        null::boolean as is_birth_date_plausible,
        null::text as signup_channel,
        null::timestamptz as signed_up_at,
        null::boolean as marketing_opt_in,
        null::boolean as has_valid_email,
        null::boolean as has_valid_phone,
        true as is_deleted,
        true as is_erased,
        erased_at as updated_at
    from erased

),

final as (

    select * from kept
    union all
    select * from erased_placeholders

)

select * from final
