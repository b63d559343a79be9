-- One row per person: coarse golden attributes, authenticity and consent. Attributes come
-- from the survivorship rules (identity.persons) when the person is resolved, else from
-- its single account. A person is excluded when its person score says so, or, unscored,
-- when every one of its accounts is excluded.
with

accounts as (

    select * from {{ ref('int_customer_persons') }}

),

golden as (

    select * from {{ ref('stg_identity__persons') }}

),

person_scores as (

    select * from {{ ref('stg_authenticity__person_scores') }}

),

per_person as (

    select
        person_key,
        count(*) as account_count,
        string_agg(distinct source, ',' order by source) as sources,
        bool_and(is_excluded) as all_accounts_excluded,
        bool_or(not is_deleted) as has_live_account,
        min(signed_up_at) as first_signup_at,
        -- The consent of the most recently changed account is the person's latest choice.
        (array_agg(marketing_opt_in order by updated_at desc nulls last))[1] as marketing_opt_in,
        (array_agg(country_code order by updated_at desc nulls last))[1] as account_country_code,
        (array_agg(state order by updated_at desc nulls last))[1] as account_state,
        (array_agg(city order by updated_at desc nulls last))[1] as account_city,
        (array_agg(gender order by updated_at desc nulls last))[1] as account_gender,
        (array_agg(age_band order by updated_at desc nulls last))[1] as account_age_band,
        (array_agg(signup_channel order by signed_up_at nulls last))[1] as first_signup_channel
    from accounts
    group by person_key

),

final as (

    select
        per_person.person_key,
        golden.person_key is not null as is_resolved,
        per_person.account_count,
        per_person.sources,
        coalesce(golden.country_code, per_person.account_country_code) as country_code,
        coalesce(golden.state, per_person.account_state) as state,
        coalesce(golden.city, per_person.account_city) as city,
        coalesce(nullif(golden.gender, 'unknown'), per_person.account_gender) as gender,
        case
            when golden.birth_year is null then per_person.account_age_band
            else {{ age_band(
                'extract(year from current_date) - golden.birth_year',
                'extract(year from current_date) - golden.birth_year between 13 and 110'
            ) }}
        end as age_band,
        coalesce(golden.first_signup_at, per_person.first_signup_at) as first_signup_at,
        per_person.first_signup_channel,
        per_person.marketing_opt_in,
        per_person.has_live_account,
        person_scores.score as authenticity_score,
        coalesce(person_scores.band, 'unscored') as authenticity_band,
        coalesce(person_scores.is_excluded, per_person.all_accounts_excluded) as is_excluded,
        coalesce(person_scores.reasons, '') as authenticity_reasons
    from per_person
    left join golden
        on per_person.person_key = golden.person_key
    left join person_scores
        on per_person.person_key = person_scores.person_key

)

select * from final
