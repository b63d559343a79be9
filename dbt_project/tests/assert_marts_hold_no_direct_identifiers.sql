-- No column of the candidate marts may be named like a direct identifier. Returns the
-- offending columns. Pseudonymous keys (ending in _key) and boolean flags derived from
-- an identifier (has_valid_email, is_birth_date_plausible) are allowed.
-- The refs below make the test run after every mart is built:
-- depends_on: {{ ref('dim_customers') }}
-- depends_on: {{ ref('fct_orders') }}
-- depends_on: {{ ref('fct_order_items') }}
-- depends_on: {{ ref('customer_rfm') }}
-- depends_on: {{ ref('customer_segments') }}
with

mart_columns as (

    select
        table_name,
        column_name,
        data_type
    from information_schema.columns
    where table_schema = '{{ generate_schema_name("marts_build", none) }}'

),

final as (

    select *
    from mart_columns
    where column_name !~ '_key$'
        and data_type <> 'boolean'
        and column_name ~ '(name|email|phone|street|line1|line2|birth|device|ip$|^ip_|address|postcode|zip)'

)

select * from final
