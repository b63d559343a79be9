{#-
    SQL for the on-run-start hook: stop every run, build, seed or test before it writes
    anything when the session has no non-empty cw.pseudonym_key. Without this check a
    run on empty raw tables would succeed and only a later run would fail. The message
    names the variable to set, never a key value.
-#}
{% macro assert_pseudonym_key_set() -%}
    do $$
    begin
        if coalesce(current_setting('cw.pseudonym_key', true), '') = '' then
            raise exception 'session setting cw.pseudonym_key is missing or empty: set CW_PSEUDONYM_KEY (cw init generates one) so Settings.dbt_env() passes it to dbt in PGOPTIONS';
        end if;
    end
    $$
{%- endmacro %}
