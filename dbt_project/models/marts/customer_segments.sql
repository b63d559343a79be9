-- Named RFM segment of every scored person and source. The rules are the seed
-- rfm_segment_rules.csv: each gives score ranges, and the first rule in priority order
-- whose ranges contain the customer's scores names the segment.
with

scores as (

    select * from {{ ref('customer_rfm') }}

),

rules as (

    select * from {{ ref('rfm_segment_rules') }}

),

matches as (

    select
        scores.person_key,
        scores.source,
        rules.segment,
        row_number() over (
            partition by scores.person_key, scores.source
            order by rules.priority
        ) as match_rank
    from scores
    inner join rules
        on scores.r_score between rules.r_min and rules.r_max
        and scores.f_score between rules.f_min and rules.f_max
        and scores.m_score between rules.m_min and rules.m_max

),

final as (

    select
        scores.person_key::text as person_key,
        scores.source::text as source,
        matches.segment::text as segment,
        scores.r_score::integer as r_score,
        scores.f_score::integer as f_score,
        scores.m_score::integer as m_score,
        scores.as_of_date::date as as_of_date
    from scores
    left join matches
        on scores.person_key = matches.person_key
        and scores.source = matches.source
        and matches.match_rank = 1

)

select * from final
