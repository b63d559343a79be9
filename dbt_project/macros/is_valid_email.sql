{#-
    True when the (already trimmed, lower-cased) email is syntactically plausible: a
    local part of letters, digits and ._%+- that neither starts nor ends with a dot nor
    holds two dots in a row, an @, and a domain of dot-separated labels ending in a
    top-level domain of 2 or more letters. False for null. Deliverability is not checked.
-#}
{% macro is_valid_email(expression) -%}
    coalesce(
        {{ expression }} ~ '^[a-z0-9_%+-]+(\.[a-z0-9_%+-]+)*@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$',
        false
    )
{%- endmacro %}
