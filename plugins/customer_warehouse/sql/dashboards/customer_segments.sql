-- One row per customer with at least one order, with the customer's state.
create view dashboards.customer_segments as
select
    segments.customer_key,
    segments.source,
    segments.segment,
    segments.r_score,
    segments.f_score,
    segments.m_score,
    segments.as_of_date,
    customers.state
from marts.customer_segments as segments
left join marts.dim_customers as customers
    on customers.customer_key = segments.customer_key;
