-- Recency, frequency and monetary scores of every person with a non-cancelled order, per
-- source: the accounts identity resolution linked count as one customer (an Olist
-- person's customer_ids, a shop customer's duplicate registrations), and persons
-- authenticity scoring excludes are left out. Sources are scored apart, because their
-- currencies and order habits differ.
--
-- Scores are quintiles of percent_rank within each source, not ntile: ntile splits a
-- run of equal values across buckets by arbitrary row order, so two customers with the
-- same value could get different scores and reruns could reshuffle them. percent_rank
-- gives tied values the same rank, so equal values always share a score. Where most
-- customers share one value (Olist frequency, see the note below) they all get
-- the lowest score that value reaches, and some scores stay unused.
with

persons as (

    select * from {{ ref('dim_persons') }}

),

orders as (

    select fct_orders.*
    from {{ ref('fct_orders') }} as fct_orders
    inner join persons
        on fct_orders.person_key = persons.person_key
    where not fct_orders.is_cancelled

),

as_of_dates as (

    select
        source,
        {% if var('rfm_as_of') is not none -%}
        '{{ var("rfm_as_of") }}'::date as as_of_date
        {%- else -%}
        max(order_date) as as_of_date
        {%- endif %}
    from orders
    group by source

),

customer_totals as (

    select
        orders.person_key,
        orders.source,
        min(orders.order_date) as first_order_date,
        max(orders.order_date) as last_order_date,
        count(*) as frequency,
        sum(orders.payment_total) as monetary
    from orders
    group by orders.person_key, orders.source

),

measured as (

    select
        customer_totals.*,
        as_of_dates.as_of_date,
        as_of_dates.as_of_date - customer_totals.last_order_date as recency_days
    from customer_totals
    inner join as_of_dates
        on customer_totals.source = as_of_dates.source

),

ranked as (

    select
        *,
        percent_rank() over (partition by source order by recency_days desc)
            as recency_rank,
        percent_rank() over (partition by source order by frequency)
            as frequency_rank,
        percent_rank() over (partition by source order by monetary)
            as monetary_rank
    from measured

),

scored as (

    select
        *,
        least(5, 1 + floor(recency_rank * 5))::integer as r_score,
        least(5, 1 + floor(frequency_rank * 5))::integer as f_score,
        least(5, 1 + floor(monetary_rank * 5))::integer as m_score
    from ranked

),

final as (

    select
        person_key::text as person_key,
        source::text as source,
        as_of_date::date as as_of_date,
        first_order_date::date as first_order_date,
        last_order_date::date as last_order_date,
        recency_days::integer as recency_days,
        frequency::integer as frequency,
        monetary::numeric(14, 2) as monetary,
        r_score::integer as r_score,
        f_score::integer as f_score,
        m_score::integer as m_score,
        (r_score::text || f_score::text || m_score::text)::text as rfm_cell
    from scored

)

select * from final
