-- Authenticity scoring (customer_warehouse.authenticity): scores and reasons per account
-- and per person, the account features later runs compare against, cohort profiles and
-- drift per run, and reviewers' decisions. Accounts are keyed by their pseudonymous
-- customer_key; no table contains a direct identifier. Evidence holds coarse facts only:
-- the domain of a disposable email provider, a phone's country, a birth year, counts,
-- robust z-scores. Every statement is idempotent.
create schema if not exists authenticity;

-- One row per scoring run, written in the run's transaction.
create table if not exists authenticity.runs (
    run_id text primary key,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    accounts_scored integer not null,
    accounts_excluded integer not null,
    accounts_suspect integer not null,
    persons_scored integer not null,
    drift_warnings integer not null,
    config_sha256 text not null
);

-- Latest score of each account. Analysts' default views leave out is_excluded accounts;
-- nothing is deleted. band: trusted, suspect (under the review threshold) or excluded
-- (under the exclusion threshold). is_excluded follows a reviewer's decision when there
-- is one (review_decision), else the band.
create table if not exists authenticity.account_scores (
    customer_key text primary key,
    source text not null,
    person_key text not null,
    score numeric(5, 1) not null check (score between 0 and 100),
    band text not null check (band in ('trusted', 'suspect', 'excluded')),
    is_excluded boolean not null,
    reason_codes text[] not null,
    reasons text not null,
    evidence jsonb not null,
    review_decision text check (review_decision in ('include', 'exclude')),
    source_updated_at timestamptz,
    run_id text not null,
    scored_at timestamptz not null default now()
);
create index if not exists account_scores_person_idx on authenticity.account_scores (person_key);
create index if not exists account_scores_excluded_idx on authenticity.account_scores (is_excluded)
    where is_excluded;

-- Latest score of each person: its best account's score less person-level reasons.
create table if not exists authenticity.person_scores (
    person_key text primary key,
    score numeric(5, 1) not null check (score between 0 and 100),
    band text not null check (band in ('trusted', 'suspect', 'excluded')),
    is_excluded boolean not null,
    accounts integer not null,
    excluded_accounts integer not null,
    reason_codes text[] not null,
    reasons text not null,
    run_id text not null,
    scored_at timestamptz not null default now()
);

-- What each account looked like when last scored: cohort features, numeric attributes
-- and the pseudonymous sign-up device and IP keys. Incremental runs take their cohort
-- statistics, bursts and drift history from here.
create table if not exists authenticity.account_features (
    customer_key text primary key,
    source text not null,
    signup_channel text,
    region text,
    age_band text not null,
    created_at timestamptz,
    signup_device_key text,
    signup_ip_key text,
    age double precision,
    income double precision,
    spend double precision,
    order_count double precision,
    order_value_mean double precision,
    order_value_max double precision,
    payment_count double precision,
    kids double precision,
    run_id text not null
);
create index if not exists account_features_device_idx
    on authenticity.account_features (signup_device_key, created_at);

-- Drift of each numeric attribute per run: the batch against the history before it.
-- status: ok, warning (a quality warning, never a reason against an account), skipped.
create table if not exists authenticity.drift_results (
    run_id text not null,
    source text not null,
    attribute text not null,
    batch_rows integer not null,
    history_rows integer not null,
    psi double precision,
    ks_statistic double precision,
    ks_pvalue double precision,
    status text not null check (status in ('ok', 'warning', 'skipped')),
    message text not null,
    measured_at timestamptz not null default now(),
    primary key (run_id, source, attribute)
);

-- Distribution of each numeric attribute in each cohort, per run (raw units). level 0
-- is the finest cohort level of config/authenticity.yml; the last level is the source.
create table if not exists authenticity.cohort_profiles (
    run_id text not null,
    level integer not null,
    cohort text not null,
    attribute text not null,
    transform text not null,
    rows integer not null,
    median double precision,
    mad double precision,
    q01 double precision,
    q25 double precision,
    q75 double precision,
    q99 double precision,
    mean double precision,
    std double precision,
    skewness double precision,
    kurtosis double precision,
    modal_band_low double precision,
    modal_band_high double precision,
    modal_band_share double precision,
    primary key (run_id, level, cohort, attribute)
);

-- Reviewers' decisions. The next scoring run honours them: include keeps an account in
-- the default views whatever its score, exclude keeps it out. A new decision on the same
-- account replaces the old one (the replaced one is kept in review_decision_history).
create table if not exists authenticity.review_decisions (
    customer_key text primary key,
    decision text not null check (decision in ('include', 'exclude')),
    decided_by text not null,
    decided_at timestamptz not null default now(),
    reason text not null check (length(trim(reason)) > 0)
);
create table if not exists authenticity.review_decision_history (
    customer_key text not null,
    decision text not null,
    decided_by text not null,
    decided_at timestamptz not null,
    reason text not null,
    replaced_at timestamptz not null default now()
);

-- Accounts awaiting review: excluded or suspect, without a decision, lowest score first.
create or replace view authenticity.review_queue as
select
    scores.customer_key,
    scores.source,
    scores.score,
    scores.band,
    scores.reason_codes,
    scores.reasons,
    scores.run_id,
    scores.scored_at
from authenticity.account_scores as scores
where scores.band <> 'trusted'
    and scores.review_decision is null
    and not exists (
        select 1 from authenticity.review_decisions as decisions
        where decisions.customer_key = scores.customer_key
    )
order by scores.score, scores.customer_key;
