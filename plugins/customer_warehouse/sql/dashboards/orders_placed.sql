-- Orders that were not cancelled, with the amounts paid in the order's currency and the
-- state of the customer's default address (for row-level security by region).
create view dashboards.orders_placed as
select
    orders.order_key,
    orders.source,
    orders.currency,
    orders.order_status,
    orders.order_date,
    orders.item_count,
    orders.order_total,
    orders.payment_total,
    customers.state
from marts.fct_orders as orders
left join marts.dim_customers as customers
    on customers.customer_key = orders.customer_key
where not orders.is_cancelled;
