{#-
    HMAC-SHA256 (pgcrypto) of a text expression, as 64 hex characters.

    The key is the session setting cw.pseudonym_key, which libpq sets from PGOPTIONS,
    so it never appears in compiled SQL, the manifest or the logs. A session without the
    setting fails with "unrecognized configuration parameter", so an unset key stops the
    build instead of producing unkeyed digests.
-#}
{% macro pseudonymize(expression) -%}
    encode(
        hmac(
            convert_to({{ expression }}, 'UTF8'),
            convert_to(current_setting('cw.pseudonym_key'), 'UTF8'),
            'sha256'
        ),
        'hex'
    )
{%- endmacro %}
