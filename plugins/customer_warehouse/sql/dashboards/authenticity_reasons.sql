-- One row per account and reason code of its latest authenticity score, without the
-- account's key or the reason text.
create view dashboards.authenticity_reasons as
select
    reason_code,
    scores.source,
    scores.band,
    scores.is_excluded,
    scores.run_id
from authenticity.account_scores as scores
cross join lateral unnest(scores.reason_codes) as reason_code;
