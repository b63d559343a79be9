-- One row per person and source with at least one order, with the person's state.
create view dashboards.customer_segments as
select
    segments.person_key,
    segments.source,
    segments.segment,
    segments.r_score,
    segments.f_score,
    segments.m_score,
    segments.as_of_date,
    persons.state
from marts.customer_segments as segments
left join marts.dim_persons as persons
    on persons.person_key = segments.person_key;
