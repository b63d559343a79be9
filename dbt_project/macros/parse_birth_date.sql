{#-
    Birth date text to date, or null when the text matches no known layout or names a
    day that does not exist. Never raises a cast error.

    Layouts: 1990-04-17, 1990/04/17, 19900417 (year first) and 17/04/1990, 17.04.1990,
    17-04-1990 (day first). A date with the year last is always read day first, as the
    platform's non-US sign-up forms wrote it, so 04/17/1990 is invalid and returns null.
    The day and month are checked in nested case expressions because PostgreSQL does
    not promise the order in which it evaluates the operands of "and".
-#}
{% macro parse_birth_date(text_expression) -%}
    (
        select
            case
                when fields.year_part between 1 and 9999
                    and fields.month_part between 1 and 12
                    and fields.day_part between 1 and 31
                    then
                        case
                            when fields.day_part <= extract(
                                day from (
                                    make_date(fields.year_part, fields.month_part, 1)
                                    + interval '1 month - 1 day'
                                )
                            )
                                then make_date(
                                    fields.year_part, fields.month_part, fields.day_part
                                )
                        end
            end
        from (
            select trim(coalesce({{ text_expression }}, '')) as value
        ) as written
        cross join lateral (
            select
                case
                    when written.value ~ '^[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}$'
                        then split_part(translate(written.value, '/', '-'), '-', 1)::int
                    when written.value ~ '^[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}$'
                        then split_part(translate(written.value, './', '--'), '-', 3)::int
                    when written.value ~ '^[0-9]{8}$'
                        then substr(written.value, 1, 4)::int
                end as year_part,
                case
                    when written.value ~ '^[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}$'
                        then split_part(translate(written.value, '/', '-'), '-', 2)::int
                    when written.value ~ '^[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}$'
                        then split_part(translate(written.value, './', '--'), '-', 2)::int
                    when written.value ~ '^[0-9]{8}$'
                        then substr(written.value, 5, 2)::int
                end as month_part,
                case
                    when written.value ~ '^[0-9]{4}[-/][0-9]{1,2}[-/][0-9]{1,2}$'
                        then split_part(translate(written.value, '/', '-'), '-', 3)::int
                    when written.value ~ '^[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{4}$'
                        then split_part(translate(written.value, './', '--'), '-', 1)::int
                    when written.value ~ '^[0-9]{8}$'
                        then substr(written.value, 7, 2)::int
                end as day_part
        ) as fields
    )
{%- endmacro %}
