-- Identity resolution: persons, the accounts they own, the links between accounts and
-- the history of person keys. Only pseudonymous keys, match evidence and coarse
-- attributes live here; golden identifiers go to the encrypted PII vault.
-- Re-runnable: every statement is idempotent.
create schema if not exists identity;

-- One row per resolution run (customer_warehouse.identity.resolve_identities).
create table if not exists identity.runs (
    run_id                 text primary key,
    mode                   text not null check (mode in ('full', 'incremental')),
    accounts_in            bigint not null,        -- accounts in the input frame
    accounts_compared      bigint not null,        -- accounts in the matching table (input + candidates)
    candidate_pairs        bigint not null,        -- pairs scored by the probabilistic model
    rule_links             bigint not null,
    probabilistic_links    bigint not null,
    persons_created        bigint not null,
    persons_merged         bigint not null,
    persons_split          bigint not null,
    model_origin           text not null,          -- trained, stored or shipped
    started_at             timestamptz not null,
    finished_at            timestamptz not null default now()
);

-- Splink model of a full run: settings with m and u probabilities, no data values.
-- Incremental runs score with the latest one.
create table if not exists identity.match_models (
    run_id                 text primary key references identity.runs (run_id),
    settings               jsonb not null,
    trained_at             timestamptz not null default now()
);

-- One row per person ever created. Merged and retired persons stay for lineage.
create table if not exists identity.persons (
    person_key             text primary key,       -- HMAC, not derived from any identifier
    status                 text not null check (status in ('active', 'merged', 'retired')),
    merged_into_person_key text,                   -- survivor, when status = 'merged'
    country_code           text,
    state                  text,
    city                   text,
    gender                 text,
    birth_year             integer,
    first_signup_at        timestamptz,
    last_updated_at        timestamptz,
    account_count          integer,
    sources                text[],
    updated_run_id         text not null
);

-- Bridge: every source account and the person it belongs to, with the evidence.
create table if not exists identity.person_accounts (
    customer_key           text primary key,       -- account key, as in the marts
    source                 text,
    person_key             text not null,
    link_rule              text not null,          -- deterministic rule, 'probabilistic' or 'unlinked'
    link_probability       double precision,       -- of the strongest link; 1 for rules
    linked_to_customer_key text,                   -- the account at the other end of that link
    blocking_keys          bigint[] not null,      -- keyed hashes of the blocking values, for incremental runs
    updated_run_id         text not null
);
create index if not exists person_accounts_person_idx on identity.person_accounts (person_key);
-- Replaced by identity.account_blocking_keys, whose btree index builds several times faster.
drop index if exists identity.person_accounts_blocking_idx;

-- The bridge's blocking_keys, one row per key: incremental runs find the stored accounts
-- that share a blocking value with a new account here, one index probe per key.
create table if not exists identity.account_blocking_keys (
    blocking_key           bigint not null,
    customer_key           text not null
);
create index if not exists account_blocking_keys_key_idx on identity.account_blocking_keys (blocking_key);
-- A warehouse resolved before this table existed keeps its keys only in the bridge: copy
-- them, so the next incremental run finds its candidates. A no-op once the table has rows.
insert into identity.account_blocking_keys (blocking_key, customer_key)
select unnest(blocking_keys), customer_key from identity.person_accounts
where not exists (select 1 from identity.account_blocking_keys);

-- Accepted links between accounts (smaller key left), reclustered by every run.
create table if not exists identity.match_edges (
    customer_key_l         text not null,
    customer_key_r         text not null,
    rule                   text not null,          -- deterministic rule or 'probabilistic'
    match_probability      double precision not null,
    run_id                 text not null,
    primary key (customer_key_l, customer_key_r),
    constraint match_edges_ordered check (customer_key_l < customer_key_r)
);
create index if not exists match_edges_right_idx on identity.match_edges (customer_key_r);

-- What happened to person keys: created, merged into a survivor, split, retired.
create table if not exists identity.person_events (
    event_id               bigserial primary key,
    run_id                 text not null,
    event                  text not null check (event in ('created', 'merged', 'split', 'retired')),
    person_key             text not null,
    other_person_key       text,                   -- survivor of a merge, receiver of a split part
    account_count          integer,
    reason                 text not null,
    occurred_at            timestamptz not null default now()
);
create index if not exists person_events_person_idx on identity.person_events (person_key);
create index if not exists person_events_run_idx on identity.person_events (run_id);

-- Duplicates left after resolution, measured after every run: groups of accounts that
-- share a blind-indexed email or phone (PII vault) or a platform person id but belong to
-- more than one person. The authenticity expectation suite warns when their share grows.
create table if not exists identity.residual_duplicates (
    run_id                 text not null,
    key_kind               text not null check (key_kind in ('email', 'phone', 'person_ref')),
    groups                 bigint not null,        -- groups spanning more than one person
    accounts               bigint not null,        -- accounts in those groups
    accounts_total         bigint not null,        -- accounts that have this key at all
    measured_at            timestamptz not null default now(),
    primary key (run_id, key_kind)
);
