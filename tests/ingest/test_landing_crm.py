"""load_landing on the CRM export: the real tab-separated file, day-first dates, bad rows quarantined."""

from __future__ import annotations

import csv
import shutil
from datetime import date
from pathlib import Path

from customer_warehouse.ingest import load_landing
from tests.ingest.helpers import assert_reconciles, by_object, land, quarantine_of, query, scalar

FILE_NAME = "marketing_campaign.csv"


def _real_records(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="ascii") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


def _crm_text(path: Path, rows: list[list[str]]) -> str:
    """Return the real file's header followed by ``rows``, tab-separated with CRLF, as the export writes."""
    header = path.read_bytes().decode("ascii").split("\r\n", 1)[0]
    return "\r\n".join([header, *("\t".join(row) for row in rows)]) + "\r\n"


def _real_row(path: Path, record_id: str, **changes: str) -> list[str]:
    record = next(r for r in _real_records(path) if r["ID"] == record_id)
    record.update(changes)
    return list(record.values())


def test_crm_file_loads_every_record(settings, customer_personality_file):
    target = settings.landing_dir / "crm" / FILE_NAME
    target.parent.mkdir(parents=True)
    shutil.copy(customer_personality_file, target)
    expected = _real_records(customer_personality_file)
    result = by_object(load_landing(settings, "run1"), FILE_NAME)
    assert_reconciles(result)
    assert result.status == "loaded", result.summary()
    assert result.target_table == "raw.crm_customers"
    assert result.rows_read == len(expected) == 2240
    assert result.rows_loaded == 2240
    assert result.rows_quarantined == 0
    url = settings.warehouse_url
    assert scalar(url, "select count(*) from raw.crm_customers") == 2240
    assert scalar(url, "select count(*) from raw.crm_customers where income is null") == sum(
        1 for r in expected if not r["Income"]
    )
    assert scalar(url, "select count(distinct id) from raw.crm_customers") == 2240


def test_crm_dates_are_day_first(settings, customer_personality_file):
    target = settings.landing_dir / "crm" / FILE_NAME
    target.parent.mkdir(parents=True)
    shutil.copy(customer_personality_file, target)
    load_landing(settings, "run1")
    rows = dict(query(settings.warehouse_url, "select id, dt_customer from raw.crm_customers"))
    # The first record of the file is written 04-09-2012: 4 September, not 9 April.
    assert rows[5524] == date(2012, 9, 4)
    for record in _real_records(customer_personality_file):
        day, month, year = (int(part) for part in record["Dt_Customer"].split("-"))
        assert rows[int(record["ID"])] == date(year, month, day), record["ID"]


def test_crm_implausible_values_still_load(settings, customer_personality_file):
    """The loader keeps values that are well-typed but implausible; authenticity scoring judges them."""
    target = settings.landing_dir / "crm" / FILE_NAME
    target.parent.mkdir(parents=True)
    shutil.copy(customer_personality_file, target)
    load_landing(settings, "run1")
    url = settings.warehouse_url
    assert scalar(url, "select min(year_birth) from raw.crm_customers") == 1893
    assert scalar(url, "select max(income) from raw.crm_customers") == 666666
    assert scalar(url, "select count(*) from raw.crm_customers where marital_status = 'YOLO'") == 2


def test_crm_bad_rows_are_quarantined(settings, customer_personality_file):
    path = customer_personality_file
    rows = [
        _real_row(path, "5524"),
        _real_row(path, "2174", Dt_Customer="12-31-2013"),  # month first: there is no month 31
        _real_row(path, "4141", Dt_Customer="30-02-2013"),  # no such day
        _real_row(path, "6182", Income="58k"),
        _real_row(path, "5324", ID=""),
        _real_row(path, "7446")[:5],  # cut short: too few fields
        _real_row(path, "965", Dt_Customer="01-01-2090"),
        _real_row(path, "6177"),
    ]
    land(settings, f"crm/2026-12-04/{FILE_NAME}", _crm_text(path, rows))

    result = by_object(load_landing(settings, "run1"), FILE_NAME)

    assert_reconciles(result)
    assert result.status == "partial", result.summary()
    assert result.rows_read == 8
    assert result.rows_loaded == 2
    assert result.rows_quarantined == 6

    problems = {row[0]: row[1:4] for row in quarantine_of(settings.warehouse_url, result.batch_id)}
    assert set(problems) == {2, 3, 4, 5, 6, 7}
    assert problems[2][:2] == ("date", "dt_customer")
    assert "'12-31-2013'" in problems[2][2]
    assert "DD-MM-YYYY" in problems[2][2]
    assert problems[3][:2] == ("date", "dt_customer")
    assert problems[4][:2] == ("numeric", "income")
    assert problems[5][:2] == ("not_null", "id")
    assert problems[6][0] == "field_count"
    assert problems[7][:2] == ("not_future", "dt_customer")

    loaded = [row[0] for row in query(settings.warehouse_url, "select id from raw.crm_customers order by id")]
    assert loaded == [5524, 6177]


def test_crm_file_without_dates_is_rejected(settings, customer_personality_file):
    header, first = customer_personality_file.read_bytes().decode("ascii").split("\r\n")[:2]
    names, values = header.split("\t"), first.split("\t")
    keep = [i for i, name in enumerate(names) if name != "Dt_Customer"]
    text = "\t".join(names[i] for i in keep) + "\n" + "\t".join(values[i] for i in keep) + "\n"
    land(settings, f"crm/{FILE_NAME}", text)
    result = by_object(load_landing(settings, "run1"), FILE_NAME)
    assert_reconciles(result)
    assert result.status == "rejected"
    assert result.rows_quarantined == 1
    assert "dt_customer" in result.message


def test_crm_unknown_file_name_is_rejected(settings):
    land(settings, "crm/customers_export.csv", "ID\tIncome\n1\t100\n")
    result = by_object(load_landing(settings, "run1"), "customers_export.csv")
    assert result.status == "rejected"
    assert "marketing_campaign*.csv" in result.message
