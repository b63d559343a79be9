-- Olist geolocation points without exact duplicates: a zip prefix keeps several
-- distinct points (the export has no point id), but a repeated identical row is kept once.
with

source as (

    select * from {{ source('olist', 'geolocation') }}

),

standardized as (

    select
        {{ olist_zip_prefix('geolocation_zip_code_prefix') }} as zip_code_prefix,
        geolocation_lat as latitude,
        geolocation_lng as longitude,
        nullif(lower(trim(geolocation_city)), '') as city,
        nullif(upper(trim(geolocation_state)), '') as state,
        _loaded_at
    from source
    where geolocation_zip_code_prefix is not null

),

deduplicated as (

    select
        zip_code_prefix,
        latitude,
        longitude,
        city,
        state,
        max(_loaded_at) as loaded_at
    from standardized
    group by zip_code_prefix, latitude, longitude, city, state

),

final as (

    select
        md5(
            concat_ws(
                '|', zip_code_prefix, latitude::text, longitude::text, city, state
            )
        ) as geolocation_point_id,
        deduplicated.*
    from deduplicated

)

select * from final
