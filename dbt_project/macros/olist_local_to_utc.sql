{#-
    Olist export timestamp (America/Sao_Paulo wall-clock time without zone) to timestamptz.
    PostgreSQL applies the Brazilian daylight saving rules of the date: a wall-clock time
    skipped by the spring-forward change is read with the offset before the change, and
    a repeated hour is read as standard time.
-#}
{% macro olist_local_to_utc(expression) -%}
    ({{ expression }} at time zone 'America/Sao_Paulo')
{%- endmacro %}
