"""The platform simulator against real PostgreSQL and MariaDB, at 1,000 customers."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from customer_warehouse import platform_schema as ps
from customer_warehouse.simulator import SimulationError, advance, main, simulate
from customer_warehouse.simulator import run as run_module
from customer_warehouse.simulator.reference import CITIES, POSTCODE_DIGITS

SIZE = 1_000
SEED = 7


def _table_digest(url: str) -> str:
    digest = hashlib.sha256()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        for table in ps.EXTRACT_TABLES:
            key = table.primary_key.columns.values()[0]
            for row in conn.execute(sa.select(table).order_by(key)):
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()


def _files_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _truth(truth_dir: Path) -> list[dict[str, str]]:
    with (truth_dir / "customers_truth.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def pg_run(pg_database, tmp_path_factory):
    url = pg_database("sim")
    home = tmp_path_factory.mktemp("pg_run")
    summary = simulate(url, SIZE, SEED, home / "events", home / "truth", progress=False)
    return url, home, summary


@pytest.fixture(scope="module")
def mysql_run(mysql_database, tmp_path_factory):
    url = mysql_database("sim")
    home = tmp_path_factory.mktemp("mysql_run")
    summary = simulate(url, SIZE, SEED, home / "events", home / "truth", progress=False)
    return url, home, summary


def _scalar(url: str, sql: str):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        value = conn.scalar(sa.text(sql))
    engine.dispose()
    return value


@pytest.mark.parametrize("table", [t.name for t in ps.EXTRACT_TABLES])
def test_postgres_tables_filled(pg_run, table):
    url, _, summary = pg_run
    assert _scalar(url, f"select count(*) from {table}") == summary.rows[table]
    assert summary.rows[table] > 0


@pytest.mark.parametrize("table", [t.name for t in ps.EXTRACT_TABLES])
def test_mysql_tables_filled(mysql_run, table):
    url, _, summary = mysql_run
    assert _scalar(url, f"select count(*) from {table}") == summary.rows[table]


def test_backends_same_counts(pg_run, mysql_run):
    assert pg_run[2].rows == mysql_run[2].rows


def test_determinism_same_seed(pg_run, pg_database, tmp_path):
    url, home, _ = pg_run
    other = pg_database("sim_again")
    simulate(other, SIZE, SEED, tmp_path / "events", tmp_path / "truth", progress=False)
    assert _table_digest(other) == _table_digest(url)
    assert _files_digest(tmp_path / "events") == _files_digest(home / "events")
    assert (
        _files_digest(tmp_path / "truth") != ""
        and (tmp_path / "truth" / "customers_truth.csv").read_bytes()
        == (home / "truth" / "customers_truth.csv").read_bytes()
    )


def test_referential_integrity(pg_run):
    url = pg_run[0]
    orphan_orders = (
        "select count(*) from orders o left join customers c using (customer_id) where c.customer_id is null"
    )
    orphan_items = (
        "select count(*) from order_items i left join orders o using (order_id) where o.order_id is null"
    )
    assert _scalar(url, orphan_orders) == 0
    assert _scalar(url, orphan_items) == 0


def test_order_totals_match_items(pg_run):
    sql = """select count(*) from orders o
             join (select order_id, sum(quantity * unit_price - discount_amount) s
                   from order_items group by order_id) i using (order_id)
             where o.order_total <> i.s + o.shipping_amount"""
    assert _scalar(pg_run[0], sql) == 0


def test_payments_net_equal_total(pg_run):
    sql = """select count(*) from orders o left join (select order_id,
             sum(case payment_status when 'captured' then amount when 'refunded' then -amount else 0 end) net
             from payments group by order_id) p using (order_id)
             where o.order_status in ('paid', 'shipped', 'delivered')
               and coalesce(p.net, 0) <> o.order_total"""
    assert _scalar(pg_run[0], sql) == 0


def test_ordered_after_signup(pg_run):
    sql = """select count(*) from orders o join customers c using (customer_id)
             where o.ordered_at <= c.created_at"""
    assert _scalar(pg_run[0], sql) == 0


def test_truth_duplicates_share_person(pg_run):
    rows = _truth(pg_run[1] / "truth")
    person = {r["customer_id"]: r["person_id"] for r in rows}
    duplicates = [r for r in rows if r["duplicate_of_customer_id"]]
    assert len(duplicates) >= SIZE * 0.05
    assert all(person[r["duplicate_of_customer_id"]] == r["person_id"] for r in duplicates)
    assert all(int(r["duplicate_of_customer_id"]) < int(r["customer_id"]) for r in duplicates)


def test_duplicates_resemble_original(pg_run):
    url, home, _ = pg_run
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        birth = dict(conn.execute(sa.text("select customer_id, birth_date from customers")).all())
        country = dict(conn.execute(sa.text("select customer_id, country_code from customers")).all())
    engine.dispose()
    duplicates = [r for r in _truth(home / "truth") if r["duplicate_of_customer_id"]]
    same_country = [
        country[int(r["customer_id"])] == country[int(r["duplicate_of_customer_id"])] for r in duplicates
    ]
    assert all(same_country)
    labelled = [r for r in duplicates if "birth_date_format_variant" in r["defects"]]
    assert labelled
    assert all(birth[int(r["customer_id"])] != birth[int(r["duplicate_of_customer_id"])] for r in labelled)


def test_fakes_present_and_labelled(pg_run):
    url, home, _ = pg_run
    fakes = [r for r in _truth(home / "truth") if r["is_fake"] == "true"]
    assert len(fakes) == round(SIZE * 0.03)
    assert all(r["fake_kind"] for r in fakes)
    disposable = _scalar(
        url,
        "select count(*) from customers where email like '%@mailinator.com' "
        "or email like '%@yopmail.com' or email like '%@guerrillamail.com'",
    )
    assert disposable > 0
    fake_ids = ",".join(r["customer_id"] for r in fakes)
    fake_orders = _scalar(
        url, f"select count(distinct customer_id) from orders where customer_id in ({fake_ids})"
    )
    assert fake_orders < len(fakes) * 0.4


def test_signup_bursts_share_device(pg_run):
    sql = (
        "select max(n) from (select signup_device_id, count(*) n from customers group by signup_device_id) d"
    )
    assert _scalar(pg_run[0], sql) >= 5


def test_birth_date_formats_mixed(pg_run):
    engine = sa.create_engine(pg_run[0])
    with engine.connect() as conn:
        values = conn.scalars(sa.text("select birth_date from customers where birth_date is not null")).all()
    engine.dispose()
    patterns = {
        r"^\d{4}-\d{2}-\d{2}$",
        r"^\d{2}/\d{2}/\d{4}$",
        r"^\d{4}/\d{2}/\d{2}$",
        r"^\d{2}\.\d{2}\.\d{4}$",
        r"^\d{8}$",
    }
    for pattern in patterns:
        assert any(re.match(pattern, v) for v in values), pattern


def test_phone_formats_mixed(pg_run):
    engine = sa.create_engine(pg_run[0])
    with engine.connect() as conn:
        values = conn.scalars(sa.text("select phone from customers where country_code = 'CN'")).all()
    engine.dispose()
    assert any(v and v.startswith("+86 ") for v in values)
    assert any(v and re.fullmatch(r"1\d{10}", v) for v in values)
    assert any(v and v.startswith("0086-") for v in values)


def test_postcodes_keep_leading_zero(pg_run):
    sql = "select count(*) from addresses where country_code in ('US', 'DE', 'BR') and postcode like '0%'"
    assert _scalar(pg_run[0], sql) > 0


def test_event_lines_valid(pg_run):
    url, home, summary = pg_run
    customer_ids = set(
        sa.create_engine(url).connect().scalars(sa.text("select customer_id from customers")).all()
    )
    order_ids = set(sa.create_engine(url).connect().scalars(sa.text("select order_id from orders")).all())
    lines = [
        json.loads(line)
        for path in sorted((home / "events").glob("events-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(lines) == summary.events
    assert all(e["customer_id"] is None or e["customer_id"] in customer_ids for e in lines)
    assert all(e["order_id"] in order_ids for e in lines if e["event_type"] == "purchase")
    assert set(lines[0]) == {
        "event_id",
        "event_type",
        "occurred_at",
        "session_id",
        "customer_id",
        "anonymous_id",
        "device_id",
        "ip",
        "page_url",
        "product_id",
        "order_id",
        "user_agent",
        "properties",
    }


def test_signup_events_match_device(pg_run):
    url, home, _ = pg_run
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        device = dict(conn.execute(sa.text("select customer_id, signup_device_id from customers")).all())
    engine.dispose()
    signups = [
        json.loads(line)
        for path in (home / "events").glob("events-*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
        if '"signup"' in line
    ]
    assert len(signups) == SIZE
    assert all(device[e["customer_id"]] == e["device_id"] for e in signups)


def test_size_out_of_range(tmp_path):
    with pytest.raises(SimulationError, match="out of range"):
        simulate("postgresql+psycopg2://postgres@127.0.0.1:5432/unused", 999, 1, tmp_path, tmp_path)


def test_cli_rejects_overwrite(pg_run, tmp_path, capsys):
    code = main(
        [
            "--url",
            pg_run[0],
            "--customers",
            "1000",
            "--events-dir",
            str(tmp_path / "e"),
            "--truth-dir",
            str(tmp_path / "t"),
            "--quiet",
        ]
    )
    assert code == 2
    assert "--replace" in capsys.readouterr().err


@pytest.fixture(scope="module")
def advanced(mysql_database, tmp_path_factory):
    """A MariaDB platform before and after one advance step."""
    url = mysql_database("adv")
    home = tmp_path_factory.mktemp("adv")
    simulate(url, SIZE, SEED, home / "events", home / "truth", progress=False)
    before = _snapshot(url)
    summary = advance(url, SEED, 1, home / "events", home / "truth", progress=False)
    return url, home, before, _snapshot(url), summary


def _snapshot(url: str) -> dict:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        snap = {
            t.name: {r[0]: r for r in conn.execute(sa.select(t))}
            for t in (ps.customers, ps.orders, ps.addresses)
        }
    engine.dispose()
    return snap


def test_advance_adds_rows(advanced):
    _, _, before, after, summary = advanced
    assert len(after["customers"]) == len(before["customers"]) + summary.rows["customers"]
    assert len(after["orders"]) > len(before["orders"])


def test_advance_bumps_updated_at(advanced):
    _, _, before, after, _ = advanced
    changed = [
        k for k, row in before["orders"].items() if after["orders"][k].order_status != row.order_status
    ]
    assert changed
    assert all(after["orders"][k].updated_at > before["orders"][k].updated_at for k in changed)


def test_advance_soft_deletes(advanced):
    _, _, before, after, _ = advanced
    deleted = [
        k
        for k, row in before["customers"].items()
        if row.deleted_at is None and after["customers"][k].deleted_at
    ]
    assert deleted
    assert all(after["customers"][k].updated_at == after["customers"][k].deleted_at for k in deleted)


def test_advance_changes_addresses(advanced):
    _, _, before, after, _ = advanced
    moved = [k for k, row in before["addresses"].items() if after["addresses"][k].postcode != row.postcode]
    assert moved


def test_advance_late_updates(advanced):
    _, home, _, after, _ = advanced
    with (home / "truth" / "advance_changes.csv").open(encoding="utf-8") as handle:
        late = [r for r in csv.DictReader(handle) if r["change"] == "late_update" and r["table"] == "orders"]
    assert late
    latest = max(row.updated_at for row in after["orders"].values())
    for row in late:
        lag = (latest - after["orders"][int(row["key"])].updated_at).total_seconds()
        assert 0 < lag <= 1800


def test_advance_appends_truth(advanced):
    _, home, _, after, _ = advanced
    assert len(_truth(home / "truth")) == len(after["customers"])


def test_advance_deterministic(advanced, mysql_database, tmp_path):
    url, home, _, _, _ = advanced
    other = mysql_database("adv_again")
    simulate(other, SIZE, SEED, tmp_path / "events", tmp_path / "truth", progress=False)
    advance(other, SEED, 1, tmp_path / "events", tmp_path / "truth", progress=False)
    assert _table_digest(other) == _table_digest(url)


def _address_problems(rows) -> list[str]:
    """Return every address whose city, state and postcode disagree with the reference cities."""
    cities = {(country, city.name): city for country, listed in CITIES.items() for city in listed}
    problems = []
    for address_id, country, city_name, state, postcode in rows:
        city = cities.get((country, city_name))
        if city is None:
            problems.append(f"address {address_id}: city {city_name!r} not listed for {country}")
        elif state != city.state:
            problems.append(f"address {address_id}: state {state!r}, expected {city.state!r}")
        elif not _postcode_fits(country, city, postcode):
            problems.append(f"address {address_id}: postcode {postcode!r} not in {city_name}")
    return problems


def _postcode_fits(country: str, city, postcode: str) -> bool:
    if country == "GB":
        outward, _, inward = postcode.partition(" ")
        return outward in city.postcode_prefix.split() and re.fullmatch(r"\d[A-Z]{2}", inward) is not None
    if country == "BR":
        return re.fullmatch(r"\d{5}-\d{3}", postcode) is not None and postcode.replace("-", "").startswith(
            city.postcode_prefix
        )
    digits_ok = re.fullmatch(rf"\d{{{POSTCODE_DIGITS[country]}}}", postcode) is not None
    if country == "CN":
        digits_ok = digits_ok and postcode.endswith("00")
    return digits_ok and postcode.startswith(city.postcode_prefix)


def _addresses(url: str) -> list:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("select address_id, country_code, city, state, postcode from addresses")
        ).all()
    engine.dispose()
    return rows


def test_addresses_match_reference(pg_run):
    rows = _addresses(pg_run[0])
    assert len(rows) == pg_run[2].rows["addresses"]
    assert _address_problems(rows) == []


def test_changed_addresses_match_reference(advanced):
    url, home, _, _, _ = advanced
    with (home / "truth" / "advance_changes.csv").open(encoding="utf-8") as handle:
        moved = {int(r["key"]) for r in csv.DictReader(handle) if r["change"] == "address_change"}
    rows = [row for row in _addresses(url) if row[0] in moved]
    assert len(rows) == len(moved)
    assert _address_problems(rows) == []


def test_address_check_detects_mismatch():
    rows = [
        (1, "US", "Boston", "NY", "02110"),
        (2, "US", "Boston", "MA", "90001"),
        (3, "DE", "Atlantis", "Bayern", "80331"),
        (4, "GB", "Leeds", "West Yorkshire", "M1 1AA"),
    ]
    assert len(_address_problems(rows)) == 4


@pytest.fixture(scope="module")
def chunked(pg_database, tmp_path_factory):
    """A PostgreSQL platform written in three chunks, before and after one advance step."""
    url = pg_database("chunked")
    home = tmp_path_factory.mktemp("chunked")
    patch = pytest.MonkeyPatch()
    patch.setattr(run_module, "CHUNK_CUSTOMERS", 400)
    try:
        summary = simulate(url, SIZE, SEED, home / "events", home / "truth", progress=False)
    finally:
        patch.undo()
    before = _snapshot(url)
    stepped = advance(url, SEED, 1, home / "events", home / "truth", progress=False)
    return url, home, summary, before, _snapshot(url), stepped


def test_chunks_split_evenly():
    assert run_module.chunk_sizes(1_000_000) == [100_000] * 10
    assert run_module.chunk_sizes(150_001) == [75_001, 75_000]


def test_chunked_ids_contiguous(chunked):
    _, _, summary, before, _, _ = chunked
    assert sorted(before["customers"]) == list(range(1, SIZE + 1))
    assert sorted(before["orders"]) == list(range(1, summary.rows["orders"] + 1))
    assert sorted(before["addresses"]) == list(range(1, summary.rows["addresses"] + 1))


def test_chunked_truth_covers_accounts(chunked):
    _, home, summary, _, _, _ = chunked
    rows = _truth(home / "truth")
    assert len(rows) == summary.rows["customers"] + _advance_new(home)
    person = {r["customer_id"]: r["person_id"] for r in rows}
    duplicates = [r for r in rows if r["duplicate_of_customer_id"]]
    assert duplicates
    assert all(person[r["duplicate_of_customer_id"]] == r["person_id"] for r in duplicates)


def _advance_new(home: Path) -> int:
    run = json.loads((home / "truth" / "simulation.json").read_text(encoding="utf-8"))
    return sum(step["rows"]["customers"] for step in run["steps"])


def test_chunked_sessions_unique(chunked):
    home = chunked[1]
    signups = [
        json.loads(line)
        for path in (home / "events").glob("events-*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
        if '"signup"' in line
    ]
    assert len(signups) == SIZE + _advance_new(home)
    assert len({e["session_id"] for e in signups}) == len(signups)
    assert not list((home / "events").glob(".spool-*"))


def test_chunked_event_count(chunked):
    _, home, summary, _, _, stepped = chunked
    lines = sum(
        len(path.read_text(encoding="utf-8").splitlines())
        for path in (home / "events").glob("events-*.jsonl")
    )
    assert lines == summary.events + stepped.events


def test_postgres_advance_moves_orders(chunked):
    _, _, _, before, after, _ = chunked
    changed = [
        k for k, row in before["orders"].items() if after["orders"][k].order_status != row.order_status
    ]
    assert changed
    assert all(after["orders"][k].updated_at > before["orders"][k].updated_at for k in changed)


def test_postgres_advance_captures_payments(chunked):
    url, _, _, before, after, _ = chunked
    paid = [
        k
        for k, row in before["orders"].items()
        if row.order_status == "placed" and after["orders"][k].order_status == "paid"
    ]
    assert paid
    ids = ",".join(str(k) for k in paid)
    pending = _scalar(
        url, f"select count(*) from payments where payment_status = 'pending' and order_id in ({ids})"
    )
    assert pending == 0


def test_postgres_advance_soft_deletes(chunked):
    url, home, _, before, after, _ = chunked
    deleted = [
        k
        for k, row in before["customers"].items()
        if row.deleted_at is None and after["customers"][k].deleted_at
    ]
    assert deleted
    ids = ",".join(str(k) for k in deleted)
    live = _scalar(url, f"select count(*) from addresses where deleted_at is null and customer_id in ({ids})")
    assert live == 0
