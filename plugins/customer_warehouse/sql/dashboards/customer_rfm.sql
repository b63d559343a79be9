-- Recency, frequency and monetary scores from 1 to 5, with the customer's state.
create view dashboards.customer_rfm as
select
    rfm.customer_key,
    rfm.source,
    rfm.as_of_date,
    rfm.recency_days,
    rfm.frequency,
    rfm.monetary,
    rfm.r_score,
    rfm.f_score,
    rfm.m_score,
    rfm.rfm_cell,
    customers.state
from marts.customer_rfm as rfm
left join marts.dim_customers as customers
    on customers.customer_key = rfm.customer_key;
