{#-
    Gender code to 'female', 'male' or 'unknown'. Accepts F/M, female/male in any case,
    and the Chinese 女/男; anything else, including U and null, is 'unknown'.
-#}
{% macro standardize_gender(expression) -%}
    case
        when lower(trim({{ expression }})) in ('f', 'female', 'woman', '女') then 'female'
        when lower(trim({{ expression }})) in ('m', 'male', 'man', '男') then 'male'
        else 'unknown'
    end
{%- endmacro %}
