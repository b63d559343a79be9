-- One row per identity resolution run: accounts read, links accepted, and person keys
-- created, merged and split, with the accounts those merges and splits moved. run_id is
-- the pipeline run id with a suffix per attempt. No person key.
create view dashboards.identity_runs as
with

moved as (

    select
        run_id,
        coalesce(sum(account_count) filter (where event = 'merged'), 0) as accounts_merged,
        coalesce(sum(account_count) filter (where event = 'split'), 0) as accounts_split,
        count(*) filter (where event = 'retired') as persons_retired
    from identity.person_events
    group by run_id

)

select
    runs.run_id,
    runs.mode,
    runs.started_at,
    runs.finished_at,
    runs.accounts_in,
    runs.candidate_pairs,
    runs.rule_links,
    runs.probabilistic_links,
    runs.persons_created,
    runs.persons_merged,
    runs.persons_split,
    coalesce(moved.persons_retired, 0) as persons_retired,
    coalesce(moved.accounts_merged, 0) as accounts_merged,
    coalesce(moved.accounts_split, 0) as accounts_split,
    runs.model_origin
from identity.runs as runs
left join moved
    on moved.run_id = runs.run_id;
