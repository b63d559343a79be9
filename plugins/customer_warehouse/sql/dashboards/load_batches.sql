-- One row per load: counts and status only, without the message, which may quote values.
create view dashboards.load_batches as
select
    batch_id,
    run_id,
    source,
    source_object,
    target_table,
    status,
    rows_read,
    rows_loaded,
    rows_quarantined,
    started_at,
    finished_at
from audit.load_batches;
