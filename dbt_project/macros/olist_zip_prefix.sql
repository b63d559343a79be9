{#-
    Olist zip code prefix as 5-digit text. Exports rewritten by spreadsheet tools or
    pandas drop leading zeros (8775 for 08775) or add a decimal part (8775.0); both are
    repaired. A value that is not 1 to 5 digits after that is returned trimmed, as is.
-#}
{% macro olist_zip_prefix(expression) -%}
    case
        when regexp_replace(trim({{ expression }}), '\.0+$', '') ~ '^[0-9]{1,5}$'
            then lpad(regexp_replace(trim({{ expression }}), '\.0+$', ''), 5, '0')
        else nullif(trim({{ expression }}), '')
    end
{%- endmacro %}
