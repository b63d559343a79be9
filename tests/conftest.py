"""Fixtures shared by every test: throwaway databases on the local servers and settings.

Each test session creates its own uniquely named databases and drops them at the end,
so tests never touch the databases the demo command uses. Set ``CW_TEST_PG_URL`` or
``CW_TEST_MYSQL_URL`` to point the tests at other servers.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from customer_warehouse.config import REPO_ROOT
from customer_warehouse.db import drop_database, ensure_database
from tests.support import make_settings  # noqa: F401  (shared with test modules)

PG_SERVER_URL = os.environ.get("CW_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
MYSQL_SERVER_URL = os.environ.get("CW_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/mysql")
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

os.environ.setdefault("AIRFLOW__USAGE_DATA_COLLECTION__ENABLED", "False")
os.environ.setdefault("SCARF_ANALYTICS", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def _database_factory(server_url: str) -> Iterator[Callable[[str], str]]:
    created: list[str] = []

    def make(label: str) -> str:
        name = f"cwt_{label}_{uuid.uuid4().hex[:8]}"
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        ensure_database(url)
        created.append(url)
        return url

    yield make
    for url in created:
        drop_database(url)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Callable[[str], str]]:
    """Return a factory: ``pg_database("label")`` creates an empty PostgreSQL database, returns its URL."""
    yield from _database_factory(PG_SERVER_URL)


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[Callable[[str], str]]:
    """Return a factory creating empty MariaDB/MySQL databases, dropped after the session."""
    yield from _database_factory(MYSQL_SERVER_URL)


@pytest.fixture(scope="session")
def olist_dir() -> Path:
    """Folder of the real Olist slice; tests that need it fail loudly when it is absent."""
    path = SHARED_DATA / "olist"
    assert path.is_dir(), f"real Olist data not found at {path}: tests on real input need it"
    return path


@pytest.fixture(scope="session")
def customer_personality_file() -> Path:
    path = SHARED_DATA / "customer-personality" / "marketing_campaign.csv"
    assert path.is_file(), f"real customer-personality data not found at {path}"
    return path


@pytest.fixture()
def pseudonym_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Set a fresh random pseudonymization key for the test."""
    key = secrets.token_hex(32)
    monkeypatch.setenv("CW_PSEUDONYM_KEY", key)
    return key
