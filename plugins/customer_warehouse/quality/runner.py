"""Run one expectation suite against the warehouse and gate on its critical expectations."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import great_expectations as gx
import great_expectations.expectations as gxe
import sqlalchemy as sa
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.expectations.row_conditions import Column
from sqlalchemy.engine import Engine

from customer_warehouse.config import Settings
from customer_warehouse.db import engine as make_engine
from customer_warehouse.quality.context import build_context, index_page
from customer_warehouse.quality.results import (
    ExpectationOutcome,
    describe_failure,
    outcome_from_result,
    write_results,
)
from customer_warehouse.quality.spec import GateConfig, TableSuite, critical

log = logging.getLogger(__name__)

SUITES = ("raw_inputs", "authenticity", "marts")
WITH_SAMPLES = {"result_format": "SUMMARY", "partial_unexpected_count": 10}
WITHOUT_SAMPLES = {"result_format": "SUMMARY", "partial_unexpected_count": 0}
_EVIDENCE_ROWS = 5


@dataclass(frozen=True)
class SuiteOutcome:
    """Counts and failures of one suite run, and where its Data Docs are."""

    suite: str
    run_id: str
    evaluated: int
    passed: int
    critical_failures: list[ExpectationOutcome]
    warnings: list[ExpectationOutcome]
    data_docs_index: Path
    outcomes: list[ExpectationOutcome] = field(default_factory=list, repr=False)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [*self.critical_failures, *self.warnings]

    def summary(self) -> str:
        return (
            f"{self.suite}: {self.passed} of {self.evaluated} expectations passed, "
            f"{len(self.critical_failures)} critical failures, {len(self.warnings)} warnings "
            f"(run {self.run_id})"
        )


class CriticalExpectationFailed(RuntimeError):
    """At least one critical expectation failed; ``outcome`` contains every result of the run."""

    def __init__(self, outcome: SuiteOutcome) -> None:
        self.outcome = outcome
        lines = [describe_failure(failure) for failure in outcome.critical_failures]
        super().__init__(
            f"{outcome.summary()}; results are in audit.quality_results and Data Docs at "
            f"{outcome.data_docs_index}. Critical failures:\n- " + "\n- ".join(lines)
        )


@dataclass
class _Validation:
    table: TableSuite
    data_asset: str
    definition: gx.ValidationDefinition


def load_suite(settings: Settings, suite: str, schema: str, config: GateConfig) -> list[TableSuite]:
    """Import ``expectations/<suite>.py`` from ``settings.expectations_dir`` and return its tables."""
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}: use one of {', '.join(SUITES)}")
    path = settings.expectations_dir / f"{suite}.py"
    spec = importlib.util.spec_from_file_location(f"cw_expectations_{suite}", path)
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"suite file {path} not found: set the expectations folder in Settings")
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if suite == "marts":
        return module.suite(schema=schema, config=config)
    if suite == "authenticity":
        return module.suite(config=config)
    return module.suite()


def _schema_checks(table: TableSuite) -> list[gxe.Expectation]:
    if not table.columns:
        return []
    checks: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchSet(
            column_set=list(table.columns),
            exact_match=False,
            **critical("downstream models select these columns by name"),
        )
    ]
    for column, type_name in table.columns.items():
        if type_name is not None:
            checks.append(
                gxe.ExpectColumnValuesToBeOfType(
                    column=column, type_=type_name, **critical(f"the DDL declares {column} as {type_name}")
                )
            )
    return checks


def _has_batch_rows(engine: Engine, table: TableSuite, batch_ids: Sequence[str]) -> bool:
    query = sa.text(f"select exists (select 1 from {table.table} where _batch_id = any(:ids))")
    with engine.connect() as conn:
        return bool(conn.scalar(query, {"ids": list(batch_ids)}))


def _text_columns_by_table(engine: Engine) -> dict[str, list[str]]:
    """Return the text-typed columns of every table, keyed by schema-qualified table name."""
    query = sa.text(
        "select t.table_schema || '.' || t.table_name, c.column_name, c.data_type"
        " from information_schema.tables as t"
        " left join information_schema.columns as c"
        " on c.table_schema = t.table_schema and c.table_name = t.table_name"
        " where t.table_schema not in ('pg_catalog', 'information_schema')"
        " order by 1, c.ordinal_position"
    )
    text_types = ("text", "character varying", "character")
    tables: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table, column, data_type in conn.execute(query):
            columns = tables.setdefault(table, [])
            if data_type in text_types:
                columns.append(column)
    return tables


def _missing_table(table: TableSuite) -> ExpectationOutcome:
    return ExpectationOutcome(
        data_asset=table.table,
        expectation_type="expect_table_to_exist",
        column_name=None,
        severity="critical",
        success=False,
        observed_value="table not found",
        unexpected_count=None,
        unexpected_percent=None,
        why="every table of the suite must exist before it is validated",
        details={"why": "the table is missing, so none of its expectations ran"},
    )


def _add_validation(context, suite: str, name: str, asset, expectations: list) -> gx.ValidationDefinition:
    batch_definition = asset.add_batch_definition_whole_table(f"{name}_all_rows")
    # Passing the expectations at creation stores the suite once, not once per expectation.
    gx_suite = context.suites.add(gx.ExpectationSuite(name=f"{suite}.{name}", expectations=expectations))
    return context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite}.{name}", data=batch_definition, suite=gx_suite)
    )


def _only_batches(expectation: gxe.Expectation, batch_ids: Sequence[str]) -> gxe.Expectation:
    """Limit ``expectation`` to the rows of the given load batches.

    A row condition keeps the check in SQL on the table itself. A query asset would do the
    same, but GX 1.24 runs a query asset's query unbounded to learn its column names.
    """
    if expectation.row_condition is not None:
        raise ValueError(
            f"{type(expectation).__name__} already has a row condition, so it cannot also be limited"
            " to load batches: drop the condition from the raw suite or validate whole tables"
        )
    expectation.row_condition = Column("_batch_id").is_in(list(batch_ids))
    return expectation


def _plan_table(
    context, datasource, suite: str, table: TableSuite, batch_ids, text_columns: list[str]
) -> _Validation:
    """Create the asset, suite and validation definition of one table."""
    name = table.asset_name
    row_checks = list(table.row_checks)
    if table.text_column_checks is not None and text_columns:
        row_checks.extend(table.text_column_checks(text_columns))
    if table.batch_query is not None:
        asset = datasource.add_query_asset(name=name, query=table.batch_query)
        return _Validation(table, table.table, _add_validation(context, suite, name, asset, row_checks))
    if batch_ids is not None:
        row_checks = [_only_batches(check, batch_ids) for check in row_checks]
    asset = datasource.add_table_asset(name=name, table_name=table.table_name, schema_name=table.schema_name)
    checks = [*_schema_checks(table), *row_checks]
    return _Validation(table, table.table, _add_validation(context, suite, name, asset, checks))


def _run_checkpoints(context, suite: str, validations: list[_Validation], run: RunIdentifier) -> dict:
    """Run one checkpoint per result format, then build Data Docs; return the GX results by suite name.

    Data Docs are built once for all results: GX's ``UpdateDataDocsAction`` rebuilds the
    site once per validation, which took 45 of 62 s of a profiled run over the 17 raw tables.
    """
    results: dict[str, object] = {}
    rendered: list = []
    groups = {
        "with_samples": [v for v in validations if v.table.samples_allowed],
        "without_samples": [v for v in validations if not v.table.samples_allowed],
    }
    for label, group in groups.items():
        if not group:
            continue
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{suite}_{label}",
                validation_definitions=[v.definition for v in group],
                result_format=WITH_SAMPLES if label == "with_samples" else WITHOUT_SAMPLES,
            )
        )
        checkpoint_result = checkpoint.run(run_id=run)
        for identifier, suite_result in checkpoint_result.run_results.items():
            results[suite_result.suite_name] = suite_result
            rendered.append(identifier)
            rendered.append(identifier.expectation_suite_identifier)
    if rendered:
        context.build_data_docs(resource_identifiers=rendered)
    elif not index_page(context).is_file():
        context.build_data_docs()
    return results


def _evidence(engine: Engine, table: TableSuite, query: str) -> list[dict]:
    """Return the first rows of a failing unexpected-rows query (keys and counts by design)."""
    sql = f"select * from ({query.format(batch=table.table)}) as evidence limit {_EVIDENCE_ROWS}"
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(sa.text(sql)).mappings()]


def _collect(engine: Engine, validations: list[_Validation], results: dict) -> list[ExpectationOutcome]:
    outcomes: list[ExpectationOutcome] = []
    for validation in validations:
        suite_result = results[validation.definition.suite.name]
        for result in suite_result.results:
            outcome = outcome_from_result(validation.table, validation.data_asset, result)
            query = outcome.details["kwargs"].get("unexpected_rows_query")
            if query and not outcome.success and validation.table.batch_query is None:
                outcome.details["unexpected_rows_sample"] = _evidence(engine, validation.table, query)
            outcomes.append(outcome)
    return outcomes


def run_suite(
    settings: Settings,
    suite: str,
    run_id: str,
    batch_ids: Sequence[str] | None = None,
    schema: str = "marts_build",
    config: GateConfig | None = None,
) -> SuiteOutcome:
    """Validate ``suite`` (one of ``SUITES``), store its results and build Data Docs.

    ``batch_ids`` limits the raw suite to the rows those loads wrote (tables without such
    rows are skipped); None validates whole tables. ``schema`` is where the marts suite
    finds the candidate marts. Raises ``CriticalExpectationFailed`` after the results are
    stored and Data Docs are built when any critical expectation failed.
    """
    config = config or GateConfig.from_env()
    tables = load_suite(settings, suite, schema, config)
    engine = make_engine(settings.warehouse_url)
    try:
        outcomes = _validate(settings, engine, suite, tables, run_id, batch_ids)
        write_results(engine, run_id, suite, outcomes)
    finally:
        engine.dispose()
    outcome = _summarize(settings, suite, run_id, outcomes)
    log.info("%s; Data Docs at %s", outcome.summary(), outcome.data_docs_index)
    if outcome.critical_failures:
        raise CriticalExpectationFailed(outcome)
    return outcome


def _validate(settings, engine, suite, tables, run_id, batch_ids) -> list[ExpectationOutcome]:
    existing = _text_columns_by_table(engine)
    context = build_context(settings)
    datasource = context.data_sources.add_postgres(name="warehouse", connection_string=settings.warehouse_url)
    outcomes: list[ExpectationOutcome] = []
    validations: list[_Validation] = []
    try:
        for table in tables:
            if "*" not in table.table and table.table not in existing:
                log.error("table %s of suite %s not found (run %s)", table.table, suite, run_id)
                outcomes.append(_missing_table(table))
                continue
            if (
                batch_ids is not None
                and suite == "raw_inputs"
                and not _has_batch_rows(engine, table, batch_ids)
            ):
                log.info(
                    "skipped %s: no rows from the %s given batches (run %s)",
                    table.table,
                    len(batch_ids),
                    run_id,
                )
                continue
            validations.append(
                _plan_table(context, datasource, suite, table, batch_ids, existing.get(table.table, []))
            )
        run = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
        results = _run_checkpoints(context, suite, validations, run)
        outcomes.extend(_collect(engine, validations, results))
    finally:
        # GX keeps a connection pool per data source; close it so no session outlives the run.
        datasource.get_execution_engine().close()
    return outcomes


def _summarize(
    settings: Settings, suite: str, run_id: str, outcomes: list[ExpectationOutcome]
) -> SuiteOutcome:
    failed = [o for o in outcomes if not o.success]
    return SuiteOutcome(
        suite=suite,
        run_id=run_id,
        evaluated=len(outcomes),
        passed=len(outcomes) - len(failed),
        critical_failures=[o for o in failed if o.severity == "critical"],
        warnings=[o for o in failed if o.severity != "critical"],
        data_docs_index=settings.data_docs_dir / "index.html",
        outcomes=outcomes,
    )
