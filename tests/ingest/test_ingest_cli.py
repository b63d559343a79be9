"""The ingest command line: cw ingest extract|load."""

from __future__ import annotations

import pytest

from customer_warehouse.ingest import main
from tests.ingest.helpers import customers_csv, land, scalar


@pytest.fixture()
def environment(settings, monkeypatch):
    monkeypatch.setenv("CW_HOME", str(settings.home))
    monkeypatch.setenv("CW_WAREHOUSE_URL", settings.warehouse_url)
    monkeypatch.setenv("CW_SHOP_URL", settings.warehouse_url)
    monkeypatch.setenv("CW_LANDING_DIR", str(settings.landing_dir))
    return settings


def test_cli_load_prints_one_line_per_batch(environment, capsys):
    land(environment, "olist/olist_customers_dataset.csv", customers_csv(3))
    land(environment, "olist/notes.txt", "not data")
    code = main(["load", "--run-id", "cli1"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == 2
    assert lines[0].startswith("rejected olist/notes.txt")
    assert lines[1].startswith("loaded 3 of 3 rows into raw.olist_customers")
    assert "cli1:olist:customers:" in lines[1]
    assert scalar(environment.warehouse_url, "select count(*) from raw.olist_customers") == 3


def test_cli_rejects_unknown_command(environment):
    with pytest.raises(SystemExit):
        main(["publish"])
