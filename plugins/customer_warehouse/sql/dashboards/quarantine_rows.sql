-- Rows rejected by the loaders: the rule and column, without the reason or the record,
-- which quote the rejected values.
create view dashboards.quarantine_rows as
select
    quarantine_id,
    batch_id,
    source,
    source_object,
    rule,
    column_name,
    quarantined_at
from audit.quarantine;
