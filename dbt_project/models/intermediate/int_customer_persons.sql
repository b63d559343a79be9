-- Every account with the person it belongs to and its authenticity score. An account
-- identity resolution has not seen yet stands as its own person (its customer_key is its
-- person_key), and an account not scored yet is trusted by default with a null score.
-- The placeholder of an account erased on request is excluded, with band erased.
with

customers as (

    select * from {{ ref('int_customers_conformed') }}

),

bridge as (

    select * from {{ ref('stg_identity__person_accounts') }}

),

scores as (

    select * from {{ ref('stg_authenticity__account_scores') }}

),

final as (

    select
        customers.*,
        coalesce(bridge.person_key, customers.customer_key) as person_key,
        bridge.person_key is not null as is_resolved,
        coalesce(bridge.link_rule, 'unresolved') as link_rule,
        bridge.link_probability,
        scores.score as authenticity_score,
        case when customers.is_erased then 'erased' else coalesce(scores.band, 'unscored') end
            as authenticity_band,
        customers.is_erased or coalesce(scores.is_excluded, false) as is_excluded,
        coalesce(scores.reason_codes, array[]::text[]) as authenticity_reason_codes,
        coalesce(scores.reasons, '') as authenticity_reasons,
        scores.review_decision
    from customers
    left join bridge
        on customers.customer_key = bridge.customer_key
    left join scores
        on customers.customer_key = scores.customer_key

)

select * from final
