"""Fixtures of the dbt project tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def module_pseudonym_key() -> Iterator[str]:
    """Set a random pseudonym key for every test of a module that shares one dbt build.

    The function-scoped ``pseudonym_key`` fixture cannot feed a module-scoped build, so
    this one sets CW_PSEUDONYM_KEY the same way for the module's lifetime.
    """
    key = secrets.token_hex(32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CW_PSEUDONYM_KEY", key)
        yield key
