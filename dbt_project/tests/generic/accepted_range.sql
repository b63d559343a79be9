{#-
    Fail on every row whose value lies outside [min_value, max_value] (bounds inclusive
    unless inclusive=false). Either bound may be omitted. Nulls pass; test them with
    not_null.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- set lower_operator = '>=' if inclusive else '>' -%}
    {%- set upper_operator = '<=' if inclusive else '<' -%}
    select *
    from {{ model }}
    where {{ column_name }} is not null
        and not (
            true
            {%- if min_value is not none %}
            and {{ column_name }} {{ lower_operator }} {{ min_value }}
            {%- endif %}
            {%- if max_value is not none %}
            and {{ column_name }} {{ upper_operator }} {{ max_value }}
            {%- endif %}
        )
{% endtest %}
