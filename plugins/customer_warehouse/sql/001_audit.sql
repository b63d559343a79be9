-- Bookkeeping of every load, quarantined row, watermark and quality result.
-- Re-runnable: every statement is idempotent.
create schema if not exists audit;

create table if not exists audit.load_batches (
    batch_id          text primary key,
    run_id            text,
    source            text not null,           -- 'shop', 'olist', 'events', ...
    source_object     text not null,           -- table name or landed file path
    target_table      text,                    -- raw table written, schema-qualified
    status            text not null,           -- running, loaded, partial, rejected, skipped, empty, failed
    rows_read         bigint not null default 0,
    rows_loaded       bigint not null default 0,
    rows_quarantined  bigint not null default 0,
    message           text,
    started_at        timestamptz not null default now(),
    finished_at       timestamptz,
    constraint load_batches_rows_reconcile check (
        status in ('running', 'failed') or rows_read = rows_loaded + rows_quarantined
    )
);

-- One row per landed file that was ever accepted for loading: a file whose checksum is
-- here is never loaded again, whatever its name or folder.
create table if not exists audit.file_manifest (
    checksum_sha256   text primary key,
    file_path         text not null,
    file_name         text not null,
    entity            text,
    size_bytes        bigint not null,
    batch_id          text not null references audit.load_batches (batch_id),
    status            text not null,
    registered_at     timestamptz not null default now()
);

create table if not exists audit.quarantine (
    quarantine_id     bigserial primary key,
    batch_id          text not null references audit.load_batches (batch_id),
    source            text not null,
    source_object     text not null,
    source_row        bigint,                  -- 1-based record number in the file or read order
    record_key        text,                    -- primary key value when known
    rule              text not null,           -- e.g. not_null, numeric, not_future, required_column
    column_name       text,
    reason            text not null,           -- human readable, names the value and the fix
    record            jsonb,                   -- the row as read, for review and replay
    quarantined_at    timestamptz not null default now()
);
create index if not exists quarantine_batch_idx on audit.quarantine (batch_id);

create table if not exists audit.watermarks (
    source            text not null,
    source_table      text not null,
    watermark         timestamptz not null,
    batch_id          text,
    updated_at        timestamptz not null default now(),
    primary key (source, source_table)
);

create table if not exists audit.quality_results (
    result_id         bigserial primary key,
    run_id            text,
    suite_name        text not null,
    data_asset        text not null,           -- schema-qualified table validated
    expectation_type  text not null,
    column_name       text,
    severity          text not null,           -- critical, warning, info
    success           boolean not null,
    observed_value    text,
    unexpected_count  bigint,
    unexpected_percent double precision,
    details           jsonb,
    validated_at      timestamptz not null default now()
);
create index if not exists quality_results_run_idx on audit.quality_results (run_id);

-- One row per mart table each time candidate marts replace the published ones.
create table if not exists audit.mart_publications (
    run_id            text,
    table_name        text not null,
    rows_published    bigint not null,
    published_at      timestamptz not null default now()
);

-- Task failures reported by the DAGs' failure callback, for monitoring and alerting.
create table if not exists audit.task_failures (
    dag_id            text not null,
    task_id           text not null,
    run_id            text,
    try_number        integer,
    error             text,
    failed_at         timestamptz not null default now()
);

-- Landed files deleted by the retention policy (CW_LANDING_RETENTION_DAYS) after loading.
create table if not exists audit.retention_purges (
    run_id            text,
    file_path         text not null,
    checksum_sha256   text not null,
    size_bytes        bigint not null,
    modified_at       timestamptz not null,
    loaded_batch_id   text not null,          -- the batch that loaded this content
    purged_at         timestamptz not null default now()
);

-- Requests to be forgotten (GDPR art. 17, PIPL art. 47) and what each erased. The subject
-- is stored only as a keyed digest (HMAC), never as the email or key it was given as.
create table if not exists audit.erasure_requests (
    request_id        text primary key,
    requested_at      timestamptz not null default now(),
    requested_by      text not null,
    reason            text not null check (btrim(reason) <> ''),
    subject_kind      text not null check (subject_kind in ('customer_key', 'person_key', 'email')),
    subject_digest    text not null,           -- HMAC of the subject as given
    accounts          integer,                 -- accounts of the person erased
    status            text not null check (status in ('running', 'done', 'not_found', 'failed')),
    details           jsonb,                   -- rows deleted or anonymized per table, no identifier
    completed_at      timestamptz
);

-- Accounts erased on request. The shop extraction skips them, so the next run does not
-- bring them back, and dbt maps their orders to anonymous_key, a random key unrelated to
-- the person, so revenue and order counts stay whole.
create table if not exists audit.erasure_suppressions (
    customer_key      text primary key,
    source            text not null,
    anonymous_key     text not null unique,
    request_id        text not null references audit.erasure_requests (request_id),
    erased_at         timestamptz not null default now()
);
