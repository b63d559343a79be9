"""Authenticity scoring on real data: the customer-personality CRM export and the Olist slice.

Expected results are computed here from the files themselves, independently of the
scoring code, so a broken rule shows up as a difference.
"""

from __future__ import annotations

import csv
import re
import shutil
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

from customer_warehouse.authenticity import score_batch
from customer_warehouse.authenticity.consistency import load_postcode_reference
from customer_warehouse.authenticity.sources import crm_frames, olist_frames
from customer_warehouse.ingest import load_landing
from tests.dbt.dbt_support import DbtRun, dbt_failure_message, run_dbt
from tests.ingest.helpers import scalar
from tests.support import make_settings

# A broken rule that flags ordinary records flags far more than this share of them.
MAX_FLAGGED_SHARE = 0.02


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="ascii") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


@pytest.fixture(scope="module")
def crm(tmp_path_factory, pg_database, customer_personality_file):
    home = tmp_path_factory.mktemp("crm")
    settings = make_settings(home, pg_database("auth_crm"))
    (settings.landing_dir / "crm").mkdir(parents=True)
    shutil.copy(customer_personality_file, settings.landing_dir / "crm")
    results = load_landing(settings, "crm-run")
    return {"settings": settings, "results": results, "records": _read_tsv(customer_personality_file)}


@pytest.fixture(scope="module")
def crm_scored(crm, keys, config):
    frame, facts = crm_frames(crm["settings"].warehouse_url, keys)
    scored = score_batch(frame, facts, config, run_id="crm-test")
    by_id = dict(zip(frame["source_customer_id"], scored.accounts.to_dict("records"), strict=True))
    return {"frame": frame, "scored": scored, "by_id": by_id}


def test_crm_load_reconciles(crm):
    (result,) = crm["results"]
    assert result.rows_read == result.rows_loaded + result.rows_quarantined
    assert result.rows_read == len(crm["records"])
    assert result.rows_quarantined == 0


def test_crm_every_record_scored(crm, crm_scored):
    assert sorted(crm_scored["by_id"]) == sorted(r["ID"] for r in crm["records"])


def test_crm_implausible_birth_years(crm, crm_scored):
    old = {r["ID"] for r in crm["records"] if int(r["Dt_Customer"][-4:]) - int(r["Year_Birth"]) > 110}
    assert len(old) == 3
    flagged = {key for key, row in crm_scored["by_id"].items() if "birth_date_too_old" in row["reason_codes"]}
    assert flagged == old


def test_crm_placeholder_income(crm, crm_scored):
    placeholder = {r["ID"] for r in crm["records"] if r["Income"] == "666666"}
    flagged = {key for key, row in crm_scored["by_id"].items() if "income_placeholder" in row["reason_codes"]}
    assert flagged == placeholder
    (key,) = placeholder
    assert "cohort_outlier" in crm_scored["by_id"][key]["reason_codes"]


def test_crm_nonsense_marital_status(crm, crm_scored):
    nonsense = {r["ID"] for r in crm["records"] if r["Marital_Status"] in ("Absurd", "YOLO", "Alone")}
    assert len(nonsense) == 7
    flagged = {
        key for key, row in crm_scored["by_id"].items() if "marital_status_unknown" in row["reason_codes"]
    }
    assert flagged == nonsense


def test_crm_ordinary_records_not_flagged(crm, crm_scored):
    implausible = {
        r["ID"]
        for r in crm["records"]
        if r["Marital_Status"] in ("Absurd", "YOLO", "Alone")
        or r["Income"] == "666666"
        or int(r["Dt_Customer"][-4:]) - int(r["Year_Birth"]) > 110
    }
    ordinary = [row for key, row in crm_scored["by_id"].items() if key not in implausible]
    flagged = [row for row in ordinary if row["band"] != "trusted"]
    excluded = [row for row in ordinary if row["is_excluded"]]
    assert len(flagged) / len(ordinary) < MAX_FLAGGED_SHARE
    assert excluded == []


def test_crm_staging_model_builds(crm, pseudonym_key, tmp_path):
    settings = crm["settings"]
    run = DbtRun(tmp_path / "target", tmp_path / "logs")
    result = run_dbt(settings, ["build", "--select", "stg_crm__customers"], run)
    assert result.returncode == 0, dbt_failure_message(result)
    url = settings.warehouse_url
    assert scalar(url, "select count(*) from staging.stg_crm__customers") == 2240
    assert (
        scalar(url, "select signed_up_on::text from staging.stg_crm__customers where customer_id = 5524")
        == "2012-09-04"
    )


def _place(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub("[^a-z0-9]", "", ascii_name)


def _expected_olist_mismatches(olist_dir: Path) -> tuple[set[str], set[str]]:
    """Return the customer ids whose city, and whose state, the geolocation file contradicts."""
    cities, states = defaultdict(set), defaultdict(set)
    with (olist_dir / "olist_geolocation_dataset.csv").open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            prefix = row["geolocation_zip_code_prefix"].rjust(5, "0")
            cities[prefix].add(_place(row["geolocation_city"]))
            states[prefix].add(_place(row["geolocation_state"]))
    bad_city, bad_state = set(), set()
    with (olist_dir / "olist_customers_dataset.csv").open(newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            prefix = row["customer_zip_code_prefix"].rjust(5, "0")
            if prefix in cities and _place(row["customer_city"]) not in cities[prefix]:
                bad_city.add(row["customer_id"])
            if prefix in states and _place(row["customer_state"]) not in states[prefix]:
                bad_state.add(row["customer_id"])
    return bad_city, bad_state


@pytest.fixture(scope="module")
def olist_scored(tmp_path_factory, pg_database, olist_dir, keys, config):
    home = tmp_path_factory.mktemp("olist")
    settings = make_settings(home, pg_database("auth_olist"))
    shutil.copytree(
        olist_dir, settings.landing_dir / "olist" / "slice", ignore=shutil.ignore_patterns("*.md")
    )
    load_landing(settings, "olist-run")
    frame, facts = olist_frames(settings.warehouse_url, keys)
    references = load_postcode_reference(settings.warehouse_url)
    scored = score_batch(frame, facts, config, references=references, run_id="olist-test")
    return dict(zip(frame["source_customer_id"], scored.accounts.to_dict("records"), strict=True))


def test_olist_place_mismatches(olist_scored, olist_dir):
    bad_city, bad_state = _expected_olist_mismatches(olist_dir)
    assert bad_city
    flagged_city = {
        key for key, row in olist_scored.items() if "postcode_city_mismatch" in row["reason_codes"]
    }
    flagged_state = {
        key for key, row in olist_scored.items() if "postcode_state_mismatch" in row["reason_codes"]
    }
    assert flagged_city == bad_city
    assert flagged_state == bad_state


def test_olist_order_without_payment(olist_scored, olist_dir):
    with (olist_dir / "olist_order_payments_dataset.csv").open(newline="", encoding="utf-8") as stream:
        paid = {row["order_id"] for row in csv.DictReader(stream)}
    with (olist_dir / "olist_orders_dataset.csv").open(newline="", encoding="utf-8") as stream:
        unpaid = {
            row["customer_id"]
            for row in csv.DictReader(stream)
            if row["order_id"] not in paid and row["order_status"] != "canceled"
        }
    flagged = {key for key, row in olist_scored.items() if "orders_without_payment" in row["reason_codes"]}
    assert len(unpaid) == 1
    assert flagged == unpaid


def test_olist_ordinary_customers_not_flagged(olist_scored):
    suspects = [row for row in olist_scored.values() if row["band"] != "trusted"]
    assert len(suspects) / len(olist_scored) < MAX_FLAGGED_SHARE
    assert not any(row["is_excluded"] for row in olist_scored.values())
