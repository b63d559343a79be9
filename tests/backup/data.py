"""Small warehouse and vault databases for the backup tests, and ways to damage them."""

from __future__ import annotations

import psycopg2

from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.pii.crypto import KeyRing, new_key_entry
from customer_warehouse.warehouse import bootstrap

# Values of many types, NULLs, a table without a key holding duplicate rows, a generated
# column and a partitioned table: what pg_dump and the table checksums must carry over.
WAREHOUSE_SQL = """
create schema if not exists marts;
create table marts.dim_customers (
    customer_key     text primary key,
    segment          text,
    lifetime_value   numeric(12, 2),
    score            double precision,
    first_order_at   timestamptz,
    birth_year       integer,
    attributes       jsonb,
    tags             text[],
    active           boolean,
    avatar           bytea,
    value_band       text generated always as (
        case when lifetime_value > 500 then 'high' else 'low' end
    ) stored
);
insert into marts.dim_customers
    (customer_key, segment, lifetime_value, score, first_order_at, birth_year, attributes, tags,
     active, avatar)
select md5('customer:' || g),
       (array['champions', 'loyal', 'at_risk', null])[1 + g % 4],
       round((g * 7.31)::numeric % 1000, 2),
       case when g % 9 = 0 then null else g / 3.0 end,
       timestamptz '2026-01-01 00:00:00+00' + g * interval '37 minutes',
       1950 + g % 50,
       jsonb_build_object('orders', g % 13, 'channel', case when g % 2 = 0 then 'web' else 'app' end),
       array['t' || g % 3, 't' || g % 5],
       g % 3 <> 0,
       decode(md5(g::text), 'hex')
from generate_series(1, 600) as g;

create table marts.fct_orders (
    order_key     text primary key,
    customer_key  text not null references marts.dim_customers (customer_key),
    ordered_at    timestamptz not null,
    total         numeric(12, 2) not null
);
insert into marts.fct_orders
select md5('order:' || g), md5('customer:' || (1 + g % 600)),
       timestamptz '2026-02-01 00:00:00+00' + g * interval '11 minutes', (g % 250) + 0.99
from generate_series(1, 2400) as g;

create table marts.page_views (customer_key text, page text);
insert into marts.page_views
select md5('customer:' || (g % 40)), '/p/' || (g % 7) from generate_series(1, 500) as g;
insert into marts.page_views select * from marts.page_views where page = '/p/1';

create table marts.events (event_id bigint, occurred_on date not null, kind text)
    partition by range (occurred_on);
create table marts.events_2026_01 partition of marts.events for values from ('2026-01-01') to ('2026-02-01');
create table marts.events_2026_02 partition of marts.events for values from ('2026-02-01') to ('2026-03-01');
insert into marts.events
select g, date '2026-01-01' + (g % 59), (array['view', 'cart', 'order'])[1 + g % 3]
from generate_series(1, 900) as g;
"""

WAREHOUSE_DAMAGE_SQL = """
delete from marts.fct_orders where total < 20;
drop table marts.page_views;
update marts.dim_customers set segment = 'lost', lifetime_value = 0 where birth_year = 1960;
delete from marts.events where kind = 'cart';
"""

VAULT_DAMAGE_SQL = """
delete from vault.identities where customer_key < '4';
update vault.identities set updated_at = updated_at + interval '1 day' where customer_key > 'c';
drop table vault.key_usage;
"""


def fill_warehouse(url: str) -> None:
    """Bootstrap the warehouse schemas (audit, raw) and add marts with a few thousand rows."""
    bootstrap(url).dispose()
    execute(url, WAREHOUSE_SQL)


def fill_vault(url: str, customers: int = 300) -> None:
    """Create a PII vault: per-record AES-GCM ciphertexts of made-up identifiers."""
    ring = KeyRing.parse(new_key_entry("k1"))
    execute(
        url,
        """
        create schema vault;
        create table vault.identities (
            customer_key  text primary key,
            key_id        text not null,
            ciphertext    bytea not null,
            updated_at    timestamptz not null
        );
        create table vault.key_usage (key_id text primary key, records bigint not null);
        """,
    )
    conn = psycopg2.connect(psycopg2_dsn(url))
    with conn, conn.cursor() as cursor:
        for number in range(customers):
            key = f"{number * 2654435761 % 2**32:08x}{number:04d}"
            record = {"email": f"user{number}@example.invalid", "phone": f"+1555{number:07d}"}
            cursor.execute(
                "insert into vault.identities values (%s, %s, %s, "
                "timestamptz '2026-03-01 00:00:00+00' + %s * interval '1 hour')",
                (key, "k1", ring.encrypt(record, key), number),
            )
        cursor.execute("insert into vault.key_usage values ('k1', %s)", (customers,))
    conn.close()


def execute(url: str, statements: str) -> None:
    conn = psycopg2.connect(psycopg2_dsn(url))
    with conn, conn.cursor() as cursor:
        cursor.execute(statements)
    conn.close()
