"""The dbt project parses without a database, and the pseudonym key never leaks."""

from __future__ import annotations

import json
from pathlib import Path

from customer_warehouse.warehouse import bootstrap
from tests.dbt.dbt_support import DbtRun, dbt_failure_message, run_dbt
from tests.support import make_settings

MART_MODELS = ("dim_customers", "fct_orders", "fct_order_items", "customer_rfm", "customer_segments")


def _files_containing(folder: Path, text: str) -> list[str]:
    return [
        str(path)
        for path in folder.rglob("*")
        if path.is_file() and text in path.read_text(encoding="utf-8", errors="replace")
    ]


def test_parse_without_database(tmp_path):
    # Port 1 on a reserved .invalid host: any connection attempt would fail.
    settings = make_settings(tmp_path, "postgresql+psycopg2://nobody@db.invalid:1/none")
    run = DbtRun(tmp_path / "target", tmp_path / "logs")
    result = run_dbt(settings, ["parse"], run)
    assert result.returncode == 0, dbt_failure_message(result)
    manifest = json.loads((run.target_path / "manifest.json").read_text())
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert set(MART_MODELS) <= models


def test_partial_parse_survives_cosmos_profile_flags(tmp_path):
    """A parse as ``cw init`` runs it, then a call with the flags Cosmos adds, reuses the first parse.

    dbt drops its partial parse when the profile or target given on the command line
    differs from the call that wrote it, and then parses the whole project again.
    """
    from customer_warehouse.config import DBT_PROFILE, DBT_TARGET

    settings = make_settings(tmp_path, "postgresql+psycopg2://nobody@db.invalid:1/none")
    run = DbtRun(tmp_path / "target", tmp_path / "logs")
    first = run_dbt(settings, ["parse"], run)
    assert first.returncode == 0, dbt_failure_message(first)
    assert (run.target_path / "partial_parse.msgpack").is_file()
    second = run_dbt(settings, ["--debug", "parse", "--profile", DBT_PROFILE, "--target", DBT_TARGET], run)
    assert second.returncode == 0, dbt_failure_message(second)
    assert "Unable to do partial parsing" not in second.stdout
    assert "Partial parsing enabled" in second.stdout, second.stdout[-3000:]


def test_parse_marts_schema(tmp_path):
    settings = make_settings(tmp_path, "postgresql+psycopg2://nobody@db.invalid:1/none")
    run = DbtRun(tmp_path / "target", tmp_path / "logs")
    result = run_dbt(settings, ["parse"], run)
    assert result.returncode == 0, dbt_failure_message(result)
    manifest = json.loads((run.target_path / "manifest.json").read_text())
    schemas = {
        node["name"]: node["schema"] for node in manifest["nodes"].values() if node["name"] in MART_MODELS
    }
    assert schemas == dict.fromkeys(MART_MODELS, "marts_build")


def test_pseudonym_key_not_in_output(pg_database, pseudonym_key, tmp_path):
    url = pg_database("dbt_key")
    bootstrap(url).dispose()
    settings = make_settings(tmp_path, url)
    run = DbtRun(tmp_path / "target", tmp_path / "logs")
    result = run_dbt(settings, ["--debug", "build"], run)
    assert result.returncode == 0, dbt_failure_message(result)
    leaks = _files_containing(run.target_path, pseudonym_key) + _files_containing(run.log_path, pseudonym_key)
    assert leaks == []


def test_pseudonym_key_not_in_console(pg_database, pseudonym_key, tmp_path):
    url = pg_database("dbt_key_console")
    bootstrap(url).dispose()
    settings = make_settings(tmp_path, url)
    result = run_dbt(settings, ["--debug", "build"], DbtRun(tmp_path / "target", tmp_path / "logs"))
    assert result.returncode == 0, dbt_failure_message(result)
    assert pseudonym_key not in result.stdout + result.stderr


def test_build_fails_without_key(pg_database, tmp_path, monkeypatch):
    monkeypatch.delenv("CW_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("PGOPTIONS", raising=False)
    url = pg_database("dbt_nokey")
    bootstrap(url).dispose()
    settings = make_settings(tmp_path, url)
    result = run_dbt(
        settings, ["run", "--select", "+dim_customers"], DbtRun(tmp_path / "target", tmp_path / "logs")
    )
    assert result.returncode != 0
    assert "cw.pseudonym_key" in result.stdout
