-- Re-identification: the only way from a pseudonymous customer_key back to a person.
-- The privacy officer's role has no SELECT on the vault tables. It may only call
-- pii.reveal_identity, which runs with its owner's rights (the pipeline role, after
-- `cw access apply`), records who asked, when and why in pii.reveal_log, and returns the
-- encrypted record. Decryption happens in the client, which holds the key ring
-- (`cw privacy reveal`). Re-runnable: every statement is idempotent.
create table if not exists pii.reveal_log (
    reveal_id          bigserial primary key,
    revealed_by        text not null,            -- session_user: the login role that asked
    revealed_at        timestamptz not null default clock_timestamp(),
    customer_key       text not null,
    reason             text not null check (btrim(reason) <> ''),
    found              boolean not null
);
create index if not exists reveal_log_customer_key_idx on pii.reveal_log (customer_key);

create or replace function pii.reveal_identity(requested_key text, reason text)
returns table (
    customer_key       text,
    source             text,
    source_customer_id text,
    key_id             text,
    identity           bytea
)
language plpgsql
volatile
security definer
-- A fixed search_path, so a caller cannot slip its own objects into this function.
set search_path = pg_catalog, pg_temp
as $$
declare
    match_count integer;
begin
    if requested_key is null or btrim(requested_key) = '' then
        raise exception 'reveal_identity: customer_key is empty'
            using errcode = '22023', hint = 'Pass the customer_key of the mart row to identify.';
    end if;
    if reason is null or btrim(reason) = '' then
        raise exception 'reveal_identity: a reason is required for customer_key %', requested_key
            using errcode = '22023', hint = 'Say why this person must be identified, e.g. the request id.';
    end if;
    select count(*) into match_count
    from pii.customer_identities c
    where c.customer_key = requested_key;
    insert into pii.reveal_log (revealed_by, customer_key, reason, found)
    values (session_user, requested_key, btrim(reason), match_count > 0);
    -- The server log keeps a line even when the caller rolls back its transaction, which
    -- would also roll back the reveal_log row above.
    raise log 'pii.reveal_identity: % revealed customer_key %', session_user, requested_key;
    return query
        select c.customer_key, c.source, c.source_customer_id, c.key_id, c.identity
        from pii.customer_identities c
        where c.customer_key = requested_key;
end;
$$;

-- PostgreSQL grants EXECUTE on new functions to PUBLIC: only the roles that
-- `cw access apply` names may call this one.
revoke all on function pii.reveal_identity(text, text) from public;
