{#-
    Row number 1 marks the version to keep for each key, ordered by the given columns
    (most recent first). Use as: {{ latest_row_number(['customer_id'], ['updated_at desc']) }}.
-#}
{% macro latest_row_number(key_columns, order_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by {{ order_columns | join(', ') }}
    )
{%- endmacro %}
