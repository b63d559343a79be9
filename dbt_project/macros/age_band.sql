{#-
    Age band of an age in whole years: under_18, 18-24, 25-34, 35-44, 45-54, 55-64,
    65_plus, or unknown when the age is null or the birth date behind it is implausible
    (pass the plausibility flag as `plausible`, true when there is none).
-#}
{% macro age_band(age, plausible='true') -%}
    case
        when {{ age }} is null or not coalesce({{ plausible }}, false) then 'unknown'
        when {{ age }} < 18 then 'under_18'
        when {{ age }} < 25 then '18-24'
        when {{ age }} < 35 then '25-34'
        when {{ age }} < 45 then '35-44'
        when {{ age }} < 55 then '45-54'
        when {{ age }} < 65 then '55-64'
        else '65_plus'
    end
{%- endmacro %}
