-- One row per authenticity scoring run: how many accounts it scored and flagged. Every
-- run scores the accounts that changed since the run before, so the counts are of that
-- batch, not of all accounts. run_started is started_at as text in UTC, for a chart's
-- category axis.
create view dashboards.authenticity_runs as
select
    run_id,
    started_at,
    to_char(started_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as run_started,
    finished_at,
    accounts_scored,
    accounts_suspect,
    accounts_excluded,
    accounts_scored - accounts_suspect - accounts_excluded as accounts_trusted,
    persons_scored,
    drift_warnings
from authenticity.runs;
