-- Olist revenue in fct_orders must equal the sum of the staged payment values to the
-- cent: no order without items may be dropped and no amount rounded per row. Returns a
-- row when the two sums differ.
with

mart as (

    select coalesce(sum(payment_total), 0) as payment_total
    from {{ ref('fct_orders') }}
    where source = 'olist'

),

staged as (

    select coalesce(sum(payment_value), 0) as payment_total
    from {{ ref('stg_olist__order_payments') }}
    where order_id in (select order_id from {{ ref('stg_olist__orders') }})

),

final as (

    select
        mart.payment_total as mart_payment_total,
        staged.payment_total as staged_payment_total
    from mart
    cross join staged
    where mart.payment_total <> staged.payment_total

)

select * from final
