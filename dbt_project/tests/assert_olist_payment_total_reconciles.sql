-- Olist revenue in fct_orders must equal the sum of the raw payment values to the cent:
-- no order without items may be dropped and no amount rounded per row. The raw side is
-- computed here from the sources (latest copy of each payment, of orders that exist),
-- independently of staging, so the test reads only fct_orders among the models and runs
-- with the marts, after identity resolution. Returns a row when the two sums differ.
with

mart as (

    select coalesce(sum(payment_total), 0) as payment_total
    from {{ ref('fct_orders') }}
    where source = 'olist'

),

payments as (

    select distinct on (order_id, payment_sequential)
        order_id,
        payment_value
    from {{ source('olist', 'order_payments') }}
    where order_id is not null
    order by order_id, payment_sequential, _loaded_at desc, _batch_id desc, _source_row desc nulls last

),

raw_total as (

    select coalesce(sum(payment_value), 0) as payment_total
    from payments
    where order_id in (select order_id from {{ source('olist', 'orders') }})

),

final as (

    select
        mart.payment_total as mart_payment_total,
        raw_total.payment_total as raw_payment_total
    from mart
    cross join raw_total
    where mart.payment_total <> raw_total.payment_total

)

select * from final
