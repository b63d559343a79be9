{#-
    Phone number text to E.164 ('+' then country calling code and national number), or
    null when no valid-looking number can be built.

    Accepted input shapes: international with '+' (+86 138 0013 8000), with the '00'
    exit code (0086-138-0013-8000), with the North American '011' exit code
    (011 55 11 91234 5678: for US customers, or when the customer's own calling code
    follows), or with the customer's own calling code but no '+' (5511912345678, for
    CN, GB and BR, recognised by its length). National numbers of CN, US, GB, BR and
    DE are written with or without their trunk prefix 0 (13800138000, (415) 555-0134,
    020 7946 0958). Brazilian numbers dialled with a carrier selection code (0 + 2
    digits) lose it too. A "(0)" written after a country code (+44 (0)20 ...) is
    dropped. National numbers of other countries cannot be completed and return null.

    The result must have 8 to 15 digits, and the known calling codes must have their
    national lengths: +1 10 digits (area code and exchange not starting with 0 or 1),
    +86 9 to 11, +44 9 or 10, +55 10 or 11, +49 6 to 13.
-#}
{% macro to_e164(phone, country_code) -%}
    (
        select
            case
                when candidate.e164 !~ '^\+[1-9][0-9]{7,14}$' then null
                when candidate.e164 like '+1%'
                    and candidate.e164 !~ '^\+1[2-9][0-9]{2}[2-9][0-9]{6}$' then null
                when candidate.e164 like '+86%'
                    and length(candidate.e164) not between 12 and 14 then null
                when candidate.e164 like '+44%'
                    and length(candidate.e164) not between 12 and 13 then null
                when candidate.e164 like '+55%'
                    and length(candidate.e164) not between 13 and 14 then null
                when candidate.e164 like '+49%'
                    and length(candidate.e164) not between 9 and 16 then null
                else candidate.e164
            end
        from (
            select
                ltrim(replace(coalesce({{ phone }}, ''), '(0)', '')) as written,
                regexp_replace(
                    replace(coalesce({{ phone }}, ''), '(0)', ''), '[^0-9]', '', 'g'
                ) as digits,
                upper(trim(coalesce({{ country_code }}, ''))) as country
        ) as written_parts
        cross join lateral (
            select
                written_parts.*,
                case written_parts.country
                    when 'CN' then '86'
                    when 'US' then '1'
                    when 'GB' then '44'
                    when 'BR' then '55'
                    when 'DE' then '49'
                end as calling_code
        ) as parts
        cross join lateral (
            select
                case
                    when parts.digits = '' then null
                    when parts.written like '+%' then '+' || parts.digits
                    when parts.digits like '00%' then '+' || substr(parts.digits, 3)
                    when parts.digits like '011%'
                        and (
                            parts.country = 'US'
                            or (
                                parts.calling_code is not null
                                and substr(parts.digits, 4) like parts.calling_code || '%'
                                and length(parts.digits) >= 14
                            )
                        )
                        then '+' || substr(parts.digits, 4)
                    when parts.country = 'CN' and parts.digits like '86%'
                        and length(parts.digits) = 13 then '+' || parts.digits
                    when parts.country = 'GB' and parts.digits like '44%'
                        and length(parts.digits) in (11, 12) then '+' || parts.digits
                    when parts.country = 'BR' and parts.digits like '55%'
                        and length(parts.digits) in (12, 13) then '+' || parts.digits
                    when parts.country = 'US' and length(parts.digits) = 11
                        and parts.digits like '1%' then '+' || parts.digits
                    when parts.country = 'US' then '+1' || parts.digits
                    when parts.country = 'CN'
                        then '+86' || regexp_replace(parts.digits, '^0', '')
                    when parts.country = 'GB'
                        then '+44' || regexp_replace(parts.digits, '^0', '')
                    when parts.country = 'DE'
                        then '+49' || regexp_replace(parts.digits, '^0', '')
                    when parts.country = 'BR' and parts.digits like '0%'
                        and length(parts.digits) in (13, 14)
                        then '+55' || substr(parts.digits, 4)
                    when parts.country = 'BR'
                        then '+55' || regexp_replace(parts.digits, '^0', '')
                end as e164
        ) as candidate
    )
{%- endmacro %}
