"""Building blocks the suites in ``expectations/`` are written with.

A suite is a list of ``TableSuite`` objects, one per validated table. Every expectation
carries ``meta={"severity": ..., "why": ...}`` and the same GX ``severity``, so a reviewer
reads why a check exists next to the check itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from great_expectations.expectations import Expectation

Severity = Literal["critical", "warning"]

# Regular expressions shared by the suites (PostgreSQL POSIX syntax, run in SQL).
# An address anywhere in a value, for the "no identifiers in marts" check.
EMAIL_ANYWHERE_PATTERN = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"


def critical(why: str) -> dict[str, Any]:
    """Return the keyword arguments marking an expectation whose failure stops publishing."""
    return {"meta": {"severity": "critical", "why": why}, "severity": "critical"}


def warning(why: str) -> dict[str, Any]:
    """Return the keyword arguments marking an expectation whose failure is only reported."""
    return {"meta": {"severity": "warning", "why": why}, "severity": "warning"}


@dataclass(frozen=True)
class TableSuite:
    """The expectations of one table.

    ``table`` is schema-qualified. ``columns`` maps each required column to its type as GX
    reports it for PostgreSQL (``TEXT``, ``BIGINT``, ``NUMERIC(12, 2)``, ...), or to None when
    only its presence is checked. The runner turns it into column presence and type checks
    on the table itself. ``row_checks`` run on
    the rows being validated: the whole table, or the current run's batches for raw tables.
    When ``identifier_columns`` is not empty, the table is validated without unexpected-value
    samples, so no personal identifier reaches Data Docs or ``audit.quality_results``.
    ``batch_query`` replaces the whole table as the rows validated, for checks on a derived
    row set such as an aggregate over several tables. GX 1.24 runs it unbounded to learn its
    columns, so it must return few rows. ``sample_unexpected_values=False`` hides samples for
    tables that must not contain identifiers at all (marts), in case one leaked into them.
    ``text_column_checks`` builds further row checks from the text columns the table has in
    the database, which the runner reads at validation time.
    """

    table: str
    row_checks: list[Expectation]
    columns: dict[str, str | None] = field(default_factory=dict)
    identifier_columns: frozenset[str] = frozenset()
    batch_query: str | None = None
    name: str | None = None
    sample_unexpected_values: bool = True
    text_column_checks: Callable[[list[str]], list[Expectation]] | None = None

    @property
    def samples_allowed(self) -> bool:
        """Whether results may list sample unexpected values (never for identifier tables)."""
        return self.sample_unexpected_values and not self.identifier_columns

    @property
    def schema_name(self) -> str:
        return self.table.split(".", 1)[0]

    @property
    def table_name(self) -> str:
        return self.table.split(".", 1)[1]

    @property
    def asset_name(self) -> str:
        """Name of the GX asset and suite part: the table, or ``name`` for a subset."""
        return self.name or self.table_name


@dataclass(frozen=True)
class GateConfig:
    """Thresholds of the quality gate, overridable by environment variables.

    | variable                      | default | meaning                                          |
    |-------------------------------|---------|--------------------------------------------------|
    | CW_QUALITY_FRESHNESS_HOURS    | 36      | maximum age of the newest raw row feeding marts  |
    | CW_QUALITY_MIN_VALID_EMAIL    | 0.90    | minimum share of shop customers with valid email |
    | CW_QUALITY_MIN_VALID_PHONE    | 0.80    | minimum share of shop customers with valid phone |
    | CW_QUALITY_MIN_PLAUSIBLE_BIRTH| 0.90    | minimum share of plausible birth dates           |
    | CW_QUALITY_MAX_EXCLUDED       | 0.25    | maximum share of scored accounts excluded        |
    | CW_QUALITY_MAX_REASON_SHARE   | 0.30    | maximum share of accounts carrying one reason    |
    | CW_QUALITY_MAX_RESIDUAL_DUPS  | 0.02    | maximum share of key-sharing accounts split over persons |
    """

    freshness_hours: float = 36.0
    min_valid_email_share: float = 0.90
    min_valid_phone_share: float = 0.80
    min_plausible_birth_date_share: float = 0.90
    max_excluded_share: float = 0.25
    max_reason_share: float = 0.30
    max_residual_duplicate_share: float = 0.02

    @classmethod
    def from_env(cls) -> GateConfig:
        return cls(
            freshness_hours=float(os.environ.get("CW_QUALITY_FRESHNESS_HOURS", "36")),
            min_valid_email_share=float(os.environ.get("CW_QUALITY_MIN_VALID_EMAIL", "0.90")),
            min_valid_phone_share=float(os.environ.get("CW_QUALITY_MIN_VALID_PHONE", "0.80")),
            min_plausible_birth_date_share=float(os.environ.get("CW_QUALITY_MIN_PLAUSIBLE_BIRTH", "0.90")),
            max_excluded_share=float(os.environ.get("CW_QUALITY_MAX_EXCLUDED", "0.25")),
            max_reason_share=float(os.environ.get("CW_QUALITY_MAX_REASON_SHARE", "0.30")),
            max_residual_duplicate_share=float(os.environ.get("CW_QUALITY_MAX_RESIDUAL_DUPS", "0.02")),
        )
