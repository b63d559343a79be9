-- Accounts authenticity scoring keeps out of the default marts, with the reasons, for
-- review. A reviewer's decision (authenticity.review_decisions) takes effect at the next
-- scoring run; nothing is deleted.
with

customers as (

    select * from {{ ref('int_customer_persons') }}
    where is_excluded and not is_erased

),

final as (

    select
        customer_key::text as customer_key,
        person_key::text as person_key,
        source::text as source,
        country_code::text as country_code,
        state::text as state,
        signup_channel::text as signup_channel,
        date_trunc('month', signed_up_at at time zone 'UTC')::date as signup_month,
        authenticity_score::numeric(5, 1) as authenticity_score,
        authenticity_band::text as authenticity_band,
        array_to_string(authenticity_reason_codes, ',')::text as reason_codes,
        authenticity_reasons::text as reasons,
        review_decision::text as review_decision,
        is_deleted::boolean as is_deleted
    from customers

)

select * from final
