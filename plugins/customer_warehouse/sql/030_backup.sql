-- Outcome of every backup and restore drill, for monitoring. Re-runnable: every statement
-- is idempotent.
create schema if not exists audit;

create table if not exists audit.backups (
    backup_id          text primary key,        -- <database>-<UTC time>, as in the backup's file names
    database_name      text not null,           -- logical name: warehouse, vault, airflow, superset
    source_database    text not null,           -- database name on the server
    run_id             text,
    status             text not null,           -- running, succeeded, failed
    location           text,                    -- backup folder or s3:// prefix
    size_bytes         bigint,                  -- of the encrypted dump
    checksum_sha256    text,                    -- of the encrypted dump
    tables             integer,
    rows_total         bigint,
    pg_dump_version    text,
    recipient_fingerprints text[],
    error              text,
    started_at         timestamptz not null default now(),
    finished_at        timestamptz,
    deleted_at         timestamptz              -- set when the retention policy deleted it
);
create index if not exists backups_database_idx on audit.backups (database_name, started_at);

-- One row per restore drill (kind 'drill') or real restore (kind 'restore').
create table if not exists audit.restore_drills (
    drill_id           bigserial primary key,
    kind               text not null default 'drill',
    backup_id          text not null,
    database_name      text not null,
    target_database    text not null,           -- scratch database of a drill, target of a restore
    run_id             text,
    status             text not null,           -- running, passed, failed
    tables_checked     integer,
    rows_checked       bigint,
    mismatches         jsonb,                   -- one entry per table that differs from the manifest
    error              text,
    started_at         timestamptz not null default now(),
    finished_at        timestamptz
);
create index if not exists restore_drills_backup_idx on audit.restore_drills (backup_id);
