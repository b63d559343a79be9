"""Fixtures for the loader tests: a fresh warehouse and landing folder per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from customer_warehouse.config import Settings
from customer_warehouse.warehouse import bootstrap
from tests.support import make_settings


@pytest.fixture()
def warehouse_url(pg_database: Callable[[str], str]) -> str:
    """Return the URL of a new, bootstrapped warehouse database for one test."""
    url = pg_database("ingest")
    bootstrap(url).dispose()
    return url


@pytest.fixture()
def settings(tmp_path: Path, warehouse_url: str) -> Settings:
    (tmp_path / "landing" / "olist").mkdir(parents=True)
    (tmp_path / "landing" / "events").mkdir(parents=True)
    return make_settings(tmp_path, warehouse_url)
