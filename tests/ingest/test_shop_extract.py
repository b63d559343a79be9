"""extract_shop: incremental extraction by updated_at watermark from PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from customer_warehouse import platform_schema
from customer_warehouse.ingest import batches, extract_shop
from customer_warehouse.ingest import shop as shop_module
from customer_warehouse.pii.crypto import KeyRing
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.pii.vault import bootstrap_vault, read_identities
from tests.ingest.helpers import assert_reconciles, query, scalar
from tests.support import make_settings

customers = platform_schema.customers
NOW = datetime.now(UTC).replace(microsecond=0)
BASE = NOW - timedelta(days=3)


def _customer(customer_id: int, updated_at: datetime, **fields) -> dict:
    row = {
        "customer_id": customer_id,
        "given_name": f"Given{customer_id}",
        "family_name": "Family",
        "full_name": f"Given{customer_id} Family",
        "email": f"user{customer_id}@example.com",
        "phone": "+55 11 5555-0000",
        "birth_date": "1990-01-01",
        "gender": None,
        "country_code": "BR",
        "signup_channel": "web",
        "signup_device_id": None,
        "signup_ip": None,
        "marketing_opt_in": customer_id % 2 == 0,
        "created_at": BASE,
        "updated_at": updated_at,
        "deleted_at": None,
    }
    row.update(fields)
    return row


def _shop(url: str, rows: list[dict]) -> sa.Engine:
    engine = sa.create_engine(url)
    platform_schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(customers.insert(), rows)
    return engine


def _update(engine: sa.Engine, customer_id: int, **values) -> None:
    with engine.begin() as conn:
        conn.execute(customers.update().where(customers.c.customer_id == customer_id).values(**values))


def _extract(settings, run_id: str):
    (result,) = extract_shop(settings, run_id, ["customers"])
    assert_reconciles(result)
    return result


@pytest.fixture()
def shop(pg_database, warehouse_url, tmp_path):
    """Return (settings, shop engine) with five customers, the last two updated 30 and 10 minutes apart."""
    shop_url = pg_database("shop")
    times = [BASE, BASE + timedelta(hours=1), BASE + timedelta(hours=2), NOW - timedelta(minutes=40), NOW]
    engine = _shop(shop_url, [_customer(i, t) for i, t in enumerate(times, start=1)])
    yield make_settings(tmp_path, warehouse_url, shop_url), engine
    engine.dispose()


def test_first_run_loads_every_row(shop):
    settings, _ = shop
    result = _extract(settings, "run1")
    assert result.status == "loaded"
    assert result.rows_loaded == 5
    assert result.target_table == "raw.shop_customers"
    assert scalar(settings.warehouse_url, "select count(*) from raw.shop_customers") == 5
    watermark = scalar(
        settings.warehouse_url, "select watermark from audit.watermarks where source_table = 'customers'"
    )
    assert watermark == NOW


def test_lineage_columns_are_set(shop):
    settings, _ = shop
    result = _extract(settings, "run1")
    rows = query(
        settings.warehouse_url,
        "select distinct _batch_id, _source, _source_object, _source_row from raw.shop_customers",
    )
    assert rows == [(result.batch_id, "shop", "customers", None)]


def test_second_run_without_change_loads_nothing(shop):
    settings, _ = shop
    _extract(settings, "run1")
    second = _extract(settings, "run2")
    assert second.rows_loaded == 0
    assert second.status == "empty"
    # The lookback re-read the two rows of the last hour and skipped them.
    assert "2 versions already in raw were skipped" in second.message
    assert scalar(settings.warehouse_url, "select count(*) from raw.shop_customers") == 5


def _vault_identities(settings) -> dict[str, dict]:
    ring = KeyRing.from_env()
    return {
        key: identity
        for key, identity, _ in read_identities(settings.vault_url, "pii.customer_identities", ring)
    }


def test_updates_move_only_changed_rows(shop):
    settings, engine = shop
    _extract(settings, "run1")
    _update(engine, 1, email="new1@example.com", updated_at=NOW + timedelta(minutes=5))
    _update(engine, 3, email="New3@New.Example.com ", updated_at=NOW + timedelta(minutes=6))
    third = _extract(settings, "run2")
    assert third.rows_loaded == 2
    versions = query(
        settings.warehouse_url,
        "select customer_id, count(*) from raw.shop_customers group by customer_id order by customer_id",
    )
    assert versions == [(1, 2), (2, 1), (3, 2), (4, 1), (5, 1)]
    latest = scalar(
        settings.warehouse_url,
        "select email_domain from raw.shop_customers where customer_id = 3 order by updated_at desc limit 1",
    )
    assert latest == "new.example.com"
    key = Pseudonymizer.from_env().customer_key("shop", 3)
    assert _vault_identities(settings)[key]["email"] == "new3@new.example.com"


def test_late_update_in_lookback_loads_once(shop):
    settings, engine = shop
    _extract(settings, "run1")
    # Committed after run1, but stamped 20 minutes before its watermark.
    with engine.begin() as conn:
        conn.execute(customers.insert(), [_customer(6, NOW - timedelta(minutes=20))])
    late = _extract(settings, "run2")
    assert late.rows_loaded == 1
    again = _extract(settings, "run3")
    assert again.rows_loaded == 0
    assert (
        scalar(settings.warehouse_url, "select count(*) from raw.shop_customers where customer_id = 6") == 1
    )


def test_soft_delete_arrives_as_version(shop):
    settings, engine = shop
    _extract(settings, "run1")
    deleted_at = NOW + timedelta(minutes=1)
    _update(engine, 2, deleted_at=deleted_at, updated_at=deleted_at)
    result = _extract(settings, "run2")
    assert result.rows_loaded == 1
    rows = query(
        settings.warehouse_url,
        "select deleted_at from raw.shop_customers where customer_id = 2 order by updated_at",
    )
    assert rows == [(None,), (deleted_at,)]


def test_null_updated_at_is_quarantined(pg_database, warehouse_url, tmp_path):
    shop_url = pg_database("shop")
    engine = _shop(shop_url, [_customer(1, BASE)])
    with engine.begin() as conn:
        conn.execute(sa.text("alter table customers alter column updated_at drop not null"))
        conn.execute(customers.insert(), [_customer(2, None)])
    engine.dispose()
    result = _extract(make_settings(tmp_path, warehouse_url, shop_url), "run1")
    assert result.status == "partial"
    assert result.rows_loaded == 1
    assert result.rows_quarantined == 1
    rows = query(warehouse_url, "select record_key, rule, column_name from audit.quarantine")
    assert rows == [("2", "not_null", "updated_at")]


def test_failed_extract_keeps_watermark(shop, monkeypatch):
    settings, engine = shop
    _extract(settings, "run1")
    _update(engine, 1, updated_at=NOW + timedelta(minutes=5))

    def fail(*args, **kwargs):
        raise RuntimeError("simulated failure before commit")

    monkeypatch.setattr(batches, "write_quarantine", fail)
    (failed,) = extract_shop(settings, "run2", ["customers"])
    assert failed.status == "failed"
    watermark = scalar(
        settings.warehouse_url, "select watermark from audit.watermarks where source_table = 'customers'"
    )
    assert watermark == NOW
    assert scalar(settings.warehouse_url, "select count(*) from raw.shop_customers") == 5


def test_all_tables_extract_including_empty(shop):
    settings, _ = shop
    results = extract_shop(settings, "run1")
    assert [result.source_object for result in results] == [t.name for t in platform_schema.EXTRACT_TABLES]
    assert {result.status for result in results[1:]} == {"empty"}


def test_unknown_table_is_rejected(shop):
    settings, _ = shop
    with pytest.raises(ValueError, match="unknown shop tables"):
        extract_shop(settings, "run1", ["clients"])


def test_mariadb_source_naive_utc(mysql_database, warehouse_url, tmp_path):
    shop_url = mysql_database("shop")
    naive = (NOW - timedelta(hours=5)).replace(tzinfo=None)
    engine = _shop(
        shop_url, [_customer(i, naive + timedelta(minutes=i), created_at=naive) for i in range(1, 4)]
    )
    settings = make_settings(tmp_path, warehouse_url, shop_url)
    first = _extract(settings, "run1")
    assert first.rows_loaded == 3
    loaded = scalar(warehouse_url, "select updated_at from raw.shop_customers where customer_id = 1")
    assert loaded == (naive + timedelta(minutes=1)).replace(tzinfo=UTC)
    opt_in = query(warehouse_url, "select customer_id, marketing_opt_in from raw.shop_customers order by 1")
    assert opt_in == [(1, False), (2, True), (3, False)]
    assert _extract(settings, "run2").rows_loaded == 0
    with engine.begin() as conn:
        conn.execute(
            customers.update()
            .where(customers.c.customer_id == 2)
            .values(updated_at=naive + timedelta(hours=1))
        )
    assert _extract(settings, "run3").rows_loaded == 1
    engine.dispose()


def test_identifiers_go_to_vault_only(shop):
    settings, _ = shop
    _extract(settings, "run1")
    identities = _vault_identities(settings)
    keys = Pseudonymizer.from_env()
    assert set(identities) == {keys.customer_key("shop", i) for i in range(1, 6)}
    assert identities[keys.customer_key("shop", 2)]["full_name"] == "Given2 Family"
    assert identities[keys.customer_key("shop", 2)]["phone_e164"] == "+551155550000"
    raw_columns = {
        row[0]
        for row in query(
            settings.warehouse_url,
            "select column_name from information_schema.columns where table_schema = 'raw'"
            " and table_name = 'shop_customers'",
        )
    }
    assert not raw_columns & {"given_name", "family_name", "full_name", "email", "phone", "birth_date"}
    stored = query(settings.vault_url, "select identity::text from pii.customer_identities")
    assert all("Given" not in row[0] and "example.com" not in row[0] for row in stored)


def test_raw_facts_derived_from_identifiers(shop):
    settings, _ = shop
    _extract(settings, "run1")
    facts = query(
        settings.warehouse_url,
        "select email_domain, email_is_valid, phone_is_valid, phone_region, birth_year, birth_date_status,"
        " customer_key from raw.shop_customers where customer_id = 1",
    )
    key = Pseudonymizer.from_env().customer_key("shop", 1)
    assert facts == [("example.com", True, True, "BR", 1990, "valid", key)]


def test_rerun_leaves_vault_unchanged(shop):
    settings, _ = shop
    _extract(settings, "run1")
    before = query(
        settings.vault_url, "select customer_key, identity, stored_at from pii.customer_identities"
    )
    _extract(settings, "run2")
    after = query(settings.vault_url, "select customer_key, identity, stored_at from pii.customer_identities")
    assert sorted(after) == sorted(before)


def test_older_version_never_overwrites_vault(shop):
    settings, engine = shop
    _update(engine, 5, email="latest@example.com", updated_at=NOW + timedelta(minutes=5))
    _extract(settings, "run1")
    # A replay of an older version (a restored watermark) must not bring old identifiers back.
    with sa.create_engine(settings.warehouse_url).begin() as conn:
        conn.execute(sa.text("delete from audit.watermarks"))
        conn.execute(sa.text("delete from raw.shop_customers"))
    _update(engine, 5, email="older@example.com", updated_at=NOW - timedelta(days=1))
    _extract(settings, "run2")
    key = Pseudonymizer.from_env().customer_key("shop", 5)
    assert _vault_identities(settings)[key]["email"] == "latest@example.com"


def test_missing_vault_key_fails_batch(shop, monkeypatch):
    settings, _ = shop
    monkeypatch.delenv("CW_VAULT_KEYS")
    with pytest.raises(RuntimeError, match="CW_VAULT_KEYS"):
        extract_shop(settings, "run1", ["customers"])
    assert scalar(settings.warehouse_url, "select count(*) from raw.shop_customers") == 0


def test_vault_chunk_failure_fails_batch(shop, monkeypatch):
    settings, _ = shop
    monkeypatch.setattr(shop_module, "CHUNK_ROWS", 2)
    key = Pseudonymizer.from_env().customer_key("shop", 3)
    bootstrap_vault(settings.vault_url)
    with sa.create_engine(settings.vault_url).begin() as conn:
        conn.execute(
            sa.text(
                "create function pii.reject_customer() returns trigger language plpgsql as $$ begin"
                f" if new.customer_key = '{key}' then raise exception 'rejected by test trigger'; end if;"
                " return new; end $$"
            )
        )
        conn.execute(
            sa.text(
                "create trigger reject_customer before insert on pii.customer_identities"
                " for each row execute function pii.reject_customer()"
            )
        )
    (failed,) = extract_shop(settings, "run1", ["customers"])
    assert failed.status == "failed"
    assert "chunk 2 of pii.customer_identities" in failed.message
    assert "rejected by test trigger" in failed.message
    assert scalar(settings.vault_url, "select count(*) from pii.customer_identities") == 0
    assert scalar(settings.warehouse_url, "select count(*) from raw.shop_customers") == 0
    assert scalar(settings.warehouse_url, "select count(*) from audit.watermarks") == 0
