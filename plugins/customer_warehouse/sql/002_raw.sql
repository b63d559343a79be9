-- Landing tables. Each mirrors one source table or file layout, typed after validation,
-- plus the lineage columns every raw row carries:
--   _batch_id       audit.load_batches.batch_id of the load that wrote the row
--   _source         'shop', 'olist' or 'events'
--   _source_object  source table name or landed file path
--   _source_row     1-based record number in the file (null for database extracts)
--   _loaded_at      load time
-- Raw tables are append-only: a changed source row lands again as a new version and
-- staging keeps the latest version per key.
--
-- Raw holds no direct identifier. Names, emails, phones, birth dates, street lines, device
-- ids and IPs are split off during extraction into the PII vault (a separate database,
-- encrypted); raw gets the pseudonymous keys (HMAC) and facts derived from them instead.
create schema if not exists raw;

-- Platform operational database (extracted by updated_at watermark).
-- shop_customers facts (customer_warehouse.pii.split): email_domain of a valid email,
-- phone_region per the phonenumbers library, birth_date_status valid, missing or
-- unparseable, age_at_signup in whole years (negative when the birth date lies after it),
-- signup_*_key HMACs of the sign-up device id and IP.
create table if not exists raw.shop_customers (
    customer_id bigint not null, gender text, country_code text,
    signup_channel text, marketing_opt_in boolean,
    created_at timestamptz, updated_at timestamptz not null, deleted_at timestamptz,
    customer_key text not null, email_domain text, email_is_valid boolean,
    phone_is_present boolean, phone_is_valid boolean, phone_region text,
    birth_year integer, birth_date_status text, age_at_signup integer,
    signup_device_key text, signup_ip_key text,
    _batch_id text not null, _source text not null, _source_object text not null,
    _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.shop_addresses (
    address_id bigint not null, customer_id bigint not null, address_type text,
    city text, state text, postcode text, country_code text, is_default boolean,
    created_at timestamptz, updated_at timestamptz not null, deleted_at timestamptz,
    address_key text not null, customer_key text not null, has_street_address boolean,
    _batch_id text not null, _source text not null, _source_object text not null,
    _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.shop_products (
    product_id bigint not null, sku text, product_name text, category text,
    unit_price numeric(12, 2), currency text,
    created_at timestamptz, updated_at timestamptz not null, deleted_at timestamptz,
    _batch_id text not null, _source text not null, _source_object text not null,
    _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.shop_orders (
    order_id bigint not null, customer_id bigint not null, shipping_address_id bigint,
    order_status text, currency text, shipping_amount numeric(12, 2),
    order_total numeric(12, 2), ordered_at timestamptz,
    created_at timestamptz, updated_at timestamptz not null, deleted_at timestamptz,
    _batch_id text not null, _source text not null, _source_object text not null,
    _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.shop_order_items (
    order_item_id bigint not null, order_id bigint not null, line_number integer,
    product_id bigint, quantity integer, unit_price numeric(12, 2),
    discount_amount numeric(12, 2),
    created_at timestamptz, updated_at timestamptz not null,
    _batch_id text not null, _source text not null, _source_object text not null,
    _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.shop_payments (
    payment_id bigint not null, order_id bigint not null, payment_method text,
    payment_status text, amount numeric(12, 2), currency text, paid_at timestamptz,
    created_at timestamptz, updated_at timestamptz not null,
    _batch_id text not null, _source text not null, _source_object text not null,
    _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.shop_reviews (
    review_id bigint not null, order_id bigint not null, customer_id bigint,
    product_id bigint, rating smallint, title text, body text,
    created_at timestamptz, updated_at timestamptz not null, deleted_at timestamptz,
    _batch_id text not null, _source text not null, _source_object text not null,
    _source_row bigint, _loaded_at timestamptz not null default now()
);
create index if not exists shop_customers_key_idx on raw.shop_customers (customer_id, updated_at);
create index if not exists shop_addresses_key_idx on raw.shop_addresses (address_id, updated_at);
create index if not exists shop_products_key_idx on raw.shop_products (product_id, updated_at);
create index if not exists shop_orders_key_idx on raw.shop_orders (order_id, updated_at);
create index if not exists shop_order_items_key_idx on raw.shop_order_items (order_item_id, updated_at);
create index if not exists shop_payments_key_idx on raw.shop_payments (payment_id, updated_at);
create index if not exists shop_reviews_key_idx on raw.shop_reviews (review_id, updated_at);

-- Clickstream events (JSON-lines files in the landing folder's events/ subfolder). The
-- device id, IP and anonymous id of each event are replaced by their HMAC keys on load.
create table if not exists raw.shop_events (
    event_id text not null, event_type text not null, occurred_at timestamptz not null,
    session_id text, customer_id bigint, anonymous_key text, device_key text, ip_key text,
    page_url text, product_id bigint, order_id bigint, user_agent text, properties jsonb,
    _batch_id text not null, _source text not null, _source_object text not null,
    _source_row bigint, _loaded_at timestamptz not null default now()
);

-- Olist marketplace CSV exports. Columns keep the export's names (including its
-- misspelled "lenght"); zip prefixes stay text so their leading zeros survive.
-- Timestamps are the export's local time (America/Sao_Paulo) without zone; staging
-- converts them to UTC. _extra keeps columns the layout does not know, so none is lost.
create table if not exists raw.olist_customers (
    customer_id text, customer_unique_id text, customer_zip_code_prefix text,
    customer_city text, customer_state text,
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.olist_orders (
    order_id text, customer_id text, order_status text,
    order_purchase_timestamp timestamp, order_approved_at timestamp,
    order_delivered_carrier_date timestamp, order_delivered_customer_date timestamp,
    order_estimated_delivery_date timestamp,
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.olist_order_items (
    order_id text, order_item_id integer, product_id text, seller_id text,
    shipping_limit_date timestamp, price numeric(12, 2), freight_value numeric(12, 2),
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.olist_order_payments (
    order_id text, payment_sequential integer, payment_type text,
    payment_installments integer, payment_value numeric(12, 2),
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.olist_order_reviews (
    review_id text, order_id text, review_score smallint, review_comment_title text,
    review_comment_message text, review_creation_date timestamp,
    review_answer_timestamp timestamp,
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.olist_products (
    product_id text, product_category_name text, product_name_lenght integer,
    product_description_lenght integer, product_photos_qty integer,
    product_weight_g integer, product_length_cm integer, product_height_cm integer,
    product_width_cm integer,
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.olist_sellers (
    seller_id text, seller_zip_code_prefix text, seller_city text, seller_state text,
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.olist_product_category_name_translation (
    product_category_name text, product_category_name_english text,
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
create table if not exists raw.olist_geolocation (
    geolocation_zip_code_prefix text, geolocation_lat double precision,
    geolocation_lng double precision, geolocation_city text, geolocation_state text,
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);

-- CRM export of the customer-personality layout (_source 'crm': tab-separated files in the landing
-- folder's crm/ subfolder). Columns keep the export's names, lower-cased; dt_customer
-- is parsed from the export's day-first dd-mm-yyyy. year_birth, income and
-- marital_status are loaded as written, implausible values included: authenticity
-- scoring flags them, the loader does not judge them.
create table if not exists raw.crm_customers (
    id bigint, year_birth integer, education text, marital_status text,
    income numeric(12, 2), kidhome integer, teenhome integer, dt_customer date,
    recency integer, mntwines integer, mntfruits integer, mntmeatproducts integer,
    mntfishproducts integer, mntsweetproducts integer, mntgoldprods integer,
    numdealspurchases integer, numwebpurchases integer, numcatalogpurchases integer,
    numstorepurchases integer, numwebvisitsmonth integer, acceptedcmp3 integer,
    acceptedcmp4 integer, acceptedcmp5 integer, acceptedcmp1 integer,
    acceptedcmp2 integer, complain integer, z_costcontact integer, z_revenue integer,
    response integer,
    _extra jsonb, _batch_id text not null, _source text not null,
    _source_object text not null, _source_row bigint, _loaded_at timestamptz not null default now()
);
