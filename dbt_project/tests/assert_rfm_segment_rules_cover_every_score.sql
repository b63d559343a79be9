-- Every combination of r, f and m scores (1 to 5 each) must match at least one rule of
-- rfm_segment_rules. Priorities are unique (tested on the seed), so the first match is
-- exactly one segment. Returns the combinations no rule matches.
with

scores as (

    select generate_series(1, 5) as score

),

combinations as (

    select
        r.score as r_score,
        f.score as f_score,
        m.score as m_score
    from scores as r
    cross join scores as f
    cross join scores as m

),

rules as (

    select * from {{ ref('rfm_segment_rules') }}

),

final as (

    select combinations.*
    from combinations
    where not exists (
        select 1
        from rules
        where combinations.r_score between rules.r_min and rules.r_max
            and combinations.f_score between rules.f_min and rules.f_max
            and combinations.m_score between rules.m_min and rules.m_max
    )

)

select * from final
