-- Recency, frequency and monetary scores from 1 to 5 per person and source, with the
-- state of the person's golden address.
create view dashboards.customer_rfm as
select
    rfm.person_key,
    rfm.source,
    rfm.as_of_date,
    rfm.recency_days,
    rfm.frequency,
    rfm.monetary,
    rfm.r_score,
    rfm.f_score,
    rfm.m_score,
    rfm.rfm_cell,
    persons.state
from marts.customer_rfm as rfm
left join marts.dim_persons as persons
    on persons.person_key = rfm.person_key;
