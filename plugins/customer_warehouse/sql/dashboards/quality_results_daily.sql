-- Great Expectations results with the outcome as text, without the details (which hold
-- samples of unexpected values).
create view dashboards.quality_results_daily as
select
    run_id,
    suite_name,
    data_asset,
    expectation_type,
    column_name,
    severity,
    case when success then 'passed' else 'failed' end as outcome,
    success,
    observed_value,
    unexpected_count,
    validated_at,
    validated_at::date as validated_on
from audit.quality_results;
