"""Expectation results as the gate stores and reports them.

``audit.quality_results`` gets one row per expectation result. Sample unexpected values
are copied into ``details`` only for tables whose suite allows samples, and never for a
column listed as holding identifiers.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from customer_warehouse.quality.spec import TableSuite

log = logging.getLogger(__name__)

_MAX_MESSAGE = 500
# Database errors quote the offending value; tables without samples get it masked.
_QUOTED = re.compile(r'"[^"]*"')


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation on one table, as stored in ``audit.quality_results``."""

    data_asset: str
    expectation_type: str
    column_name: str | None
    severity: str
    success: bool
    observed_value: str | None
    unexpected_count: int | None
    unexpected_percent: float | None
    why: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"{self.data_asset}.{self.column_name}" if self.column_name else self.data_asset


def _observed(result: dict[str, Any], hide_value: bool) -> str | None:
    if "unexpected_count" in result and result.get("element_count") is not None:
        percent = result.get("unexpected_percent") or 0.0
        return f"{result['unexpected_count']} of {result['element_count']} values unexpected ({percent:.2f}%)"
    value = result.get("observed_value")
    if value is None or hide_value:
        return None
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _exception_message(info: dict[str, Any]) -> str | None:
    """Return the first line of the error an expectation raised, if any.

    GX keeps it at the top level, or per failed metric in a dict keyed by metric id.
    """
    candidates = [info, *[value for value in info.values() if isinstance(value, dict)]]
    for candidate in candidates:
        if candidate.get("raised_exception") and candidate.get("exception_message"):
            return str(candidate["exception_message"]).splitlines()[0][:_MAX_MESSAGE]
    return None


def outcome_from_result(table: TableSuite, data_asset: str, validation_result: Any) -> ExpectationOutcome:
    """Convert one GX ``ExpectationValidationResult`` into an ``ExpectationOutcome``."""
    config = validation_result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")}
    meta = config.meta or {}
    result = validation_result.result or {}
    column = kwargs.get("column")
    identifier = column in table.identifier_columns

    details: dict[str, Any] = {"kwargs": kwargs, "why": meta.get("why", "")}
    if config.description:
        details["description"] = config.description
    for key in ("element_count", "missing_count", "missing_percent"):
        if key in result:
            details[key] = result[key]
    samples = result.get("partial_unexpected_list")
    if samples and table.samples_allowed and not identifier:
        details["partial_unexpected_list"] = samples

    exception = _exception_message(validation_result.exception_info or {})
    if exception:
        details["exception"] = exception if table.samples_allowed else _QUOTED.sub('"..."', exception)

    # Type and column-set checks observe column metadata, never a stored value.
    schema_check = config.type in ("expect_column_values_to_be_of_type", "expect_table_columns_to_match_set")
    return ExpectationOutcome(
        data_asset=data_asset,
        expectation_type=config.type,
        column_name=column,
        severity=str(meta.get("severity", "critical")),
        success=bool(validation_result.success),
        observed_value=_observed(result, hide_value=identifier and not schema_check),
        unexpected_count=result.get("unexpected_count"),
        unexpected_percent=result.get("unexpected_percent"),
        why=str(meta.get("why", "")),
        details=details,
    )


def write_results(
    engine: Engine, run_id: str, suite_name: str, outcomes: Sequence[ExpectationOutcome]
) -> None:
    """Insert one ``audit.quality_results`` row per outcome, in one transaction."""
    rows = [
        {
            "run_id": run_id,
            "suite_name": suite_name,
            "data_asset": o.data_asset,
            "expectation_type": o.expectation_type,
            "column_name": o.column_name,
            "severity": o.severity,
            "success": o.success,
            "observed_value": o.observed_value,
            "unexpected_count": o.unexpected_count,
            "unexpected_percent": o.unexpected_percent,
            "details": json.dumps(o.details, default=str),
        }
        for o in outcomes
    ]
    if not rows:
        return
    statement = sa.text(
        "insert into audit.quality_results (run_id, suite_name, data_asset, expectation_type, column_name,"
        " severity, success, observed_value, unexpected_count, unexpected_percent, details)"
        " values (:run_id, :suite_name, :data_asset, :expectation_type, :column_name, :severity, :success,"
        " :observed_value, :unexpected_count, :unexpected_percent, cast(:details as jsonb))"
    )
    with engine.begin() as conn:
        conn.execute(statement, rows)
    log.info(
        "stored %s quality results of suite %s in audit.quality_results (run %s)",
        len(rows),
        suite_name,
        run_id,
    )


def remedy(outcome: ExpectationOutcome) -> str:
    """Return what an engineer should do about a failed expectation, with a query to start from."""
    table, column = outcome.data_asset, outcome.column_name
    kind = outcome.expectation_type
    if "exception" in outcome.details:
        return f"the check could not run ({outcome.details['exception']}); make {table} match its definition"
    if kind == "expect_table_columns_to_match_set" or kind == "expect_column_values_to_be_of_type":
        return f"align {table} with its DDL or dbt contract, then rerun"
    if kind == "expect_table_to_exist":
        return f"build or create {table}, then rerun"
    if kind == "expect_column_values_to_be_unique" or kind == "expect_compound_columns_to_be_unique":
        columns = column or ", ".join(outcome.details.get("kwargs", {}).get("column_list", []))
        return (
            f"list duplicates with: select {columns}, count(*) from {table}"
            f" group by {columns} having count(*) > 1"
        )
    if kind == "expect_column_values_to_not_be_null":
        return (
            f"count the gaps with: select count(*) from {table} where {column} is null; fix the load or model"
        )
    if kind == "unexpected_rows_expectation":
        return "list the offending rows with the query in details.kwargs.unexpected_rows_query"
    return f"inspect the values of {column} in {table} against the rule in details.kwargs and fix the source"


def describe_failure(outcome: ExpectationOutcome) -> str:
    """Return one line naming the table, column, observed value, rule and fix of a failure."""
    observed = outcome.observed_value or "not shown"
    evidence = outcome.details.get("unexpected_rows_sample")
    found = f"; first rows: {json.dumps(evidence, default=str)}" if evidence else ""
    return (
        f"{outcome.location}: {outcome.expectation_type} failed (observed {observed}{found}). "
        f"Why it matters: {outcome.why}. What to do: {remedy(outcome)}"
    )
