{#-
    Use the configured schema name as is (staging, intermediate, marts_build), without
    dbt's default "<target schema>_" prefix. Nodes without a schema use the target's.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
