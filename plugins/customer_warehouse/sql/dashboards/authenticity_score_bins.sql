-- Latest authenticity scores of accounts and persons counted in bins of 10 points per
-- band: "0-10" counts scores from 0 to under 10, "90-100" from 90 to 100. Every bin and
-- band has a row, with 0 records when empty, so a chart shows the empty bins too.
create view dashboards.authenticity_score_bins as
with

scores as (

    select 'account' as level, score, band from authenticity.account_scores
    union all
    select 'person' as level, score, band from authenticity.person_scores

),

counted as (

    select level, least(floor(score / 10) * 10, 90)::integer as bin_start, band, count(*) as records
    from scores
    group by 1, 2, 3

)

select
    levels.level,
    bins.bin_start,
    bins.bin_start || '-' || bins.bin_start + 10 as score_bin,
    bands.band,
    coalesce(counted.records, 0) as records
from (values ('account'), ('person')) as levels (level)
cross join generate_series(0, 90, 10) as bins (bin_start)
cross join (values ('trusted'), ('suspect'), ('excluded')) as bands (band)
left join counted
    on counted.level = levels.level
    and counted.bin_start = bins.bin_start
    and counted.band = bands.band;
