-- Customer accounts that are not deleted, one row per account and source.
create view dashboards.customers_current as
select
    customer_key,
    source,
    signup_month,
    signup_channel,
    country_code,
    state,
    age_band,
    order_count
from marts.dim_customers
where not is_deleted;
