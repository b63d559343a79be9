{#-
    Fail on every row where the boolean SQL expression is false or null. With
    column_name set (a column-level test), the expression may start with an operator and
    is appended to the column: expression: ">= 0". Limit the rows with the test's
    where config.
-#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(
        ({% if column_name is not none %}{{ column_name }} {% endif %}{{ expression }}),
        false
    )
{% endtest %}
