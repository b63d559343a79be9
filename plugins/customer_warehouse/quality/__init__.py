"""Great Expectations quality gate: suites from ``expectations/``, results in ``audit``."""

from customer_warehouse.quality.results import ExpectationOutcome
from customer_warehouse.quality.runner import CriticalExpectationFailed, SuiteOutcome, run_suite
from customer_warehouse.quality.spec import GateConfig, TableSuite

__all__ = [
    "CriticalExpectationFailed",
    "ExpectationOutcome",
    "GateConfig",
    "SuiteOutcome",
    "TableSuite",
    "run_suite",
]
