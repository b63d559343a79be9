-- One row per CRM customer id (the most recently loaded row wins, and within one file
-- the last row), renamed to the warehouse's terms. The constant columns z_costcontact
-- and z_revenue carry nothing and are dropped.
with

source as (

    select * from {{ source('crm', 'customers') }}

),

latest as (

    select
        *,
        {{ latest_row_number(['id'], ['_loaded_at desc', '_batch_id desc', '_source_row desc nulls last']) }}
            as copy_rank
    from source
    where id is not null

),

renamed as (

    select
        id as customer_id,
        year_birth as birth_year,
        nullif(trim(education), '') as education,
        nullif(trim(marital_status), '') as marital_status,
        income,
        kidhome as kids_at_home,
        teenhome as teens_at_home,
        dt_customer as signed_up_on,
        recency as days_since_last_purchase,
        mntwines as wine_spend,
        mntfruits as fruit_spend,
        mntmeatproducts as meat_spend,
        mntfishproducts as fish_spend,
        mntsweetproducts as sweet_spend,
        mntgoldprods as gold_spend,
        numdealspurchases as deal_purchases,
        numwebpurchases as web_purchases,
        numcatalogpurchases as catalog_purchases,
        numstorepurchases as store_purchases,
        numwebvisitsmonth as web_visits_last_month,
        acceptedcmp1 = 1 as accepted_campaign_1,
        acceptedcmp2 = 1 as accepted_campaign_2,
        acceptedcmp3 = 1 as accepted_campaign_3,
        acceptedcmp4 = 1 as accepted_campaign_4,
        acceptedcmp5 = 1 as accepted_campaign_5,
        response = 1 as accepted_last_campaign,
        complain = 1 as complained,
        _loaded_at as loaded_at
    from latest
    where copy_rank = 1

),

final as (

    select * from renamed

)

select * from final
