"""The authenticity expectation suite on hand-made identity and scoring rows."""

from __future__ import annotations

import pytest

from customer_warehouse.quality import CriticalExpectationFailed, run_suite
from tests.quality.conftest import execute

ACCOUNTS = 40


def _fill(warehouse, excluded: int = 2, reason: str = "phone_missing", reason_accounts: int = 3) -> None:
    execute(
        warehouse,
        "insert into identity.runs (run_id, mode, accounts_in, accounts_compared, candidate_pairs,"
        " rule_links, probabilistic_links, persons_created, persons_merged, persons_split, model_origin,"
        " started_at)"
        " values ('id-1', 'full', :n, :n, 0, 0, 0, :n, 0, 0, 'shipped', now())",
        n=ACCOUNTS,
    )
    execute(
        warehouse,
        "insert into identity.persons (person_key, status, account_count, updated_run_id)"
        " select 'p' || i, 'active', 1, 'id-1' from generate_series(1, :n) as i",
        n=ACCOUNTS,
    )
    execute(
        warehouse,
        "insert into identity.person_accounts (customer_key, source, person_key, link_rule, link_probability,"
        " blocking_keys, updated_run_id)"
        " select 'c' || i, 'shop', 'p' || i, 'unlinked', null, '{}', 'id-1' from generate_series(1, :n) as i",
        n=ACCOUNTS,
    )
    execute(
        warehouse,
        "insert into authenticity.runs (run_id, started_at, finished_at, accounts_scored, accounts_excluded,"
        " accounts_suspect, persons_scored, drift_warnings, config_sha256)"
        " values ('auth-1', now(), now(), :n, 0, 0, :n, 0, 'x')",
        n=ACCOUNTS,
    )
    execute(
        warehouse,
        "insert into authenticity.account_scores (customer_key, source, person_key, score, band, is_excluded,"
        " reason_codes, reasons, evidence, run_id)"
        " select 'c' || i, 'shop', 'p' || i,"
        " case when i <= :excluded then 20 else 95 end,"
        " case when i <= :excluded then 'excluded' else 'trusted' end, i <= :excluded,"
        " case when i <= :reason_accounts then array[:reason] else array[]::text[] end,"
        " case when i <= :reason_accounts then 'reason' else '' end, '{}', 'auth-1'"
        " from generate_series(1, :n) as i",
        n=ACCOUNTS,
        excluded=excluded,
        reason=reason,
        reason_accounts=reason_accounts,
    )


def test_clean_run_passes(settings, warehouse):
    _fill(warehouse)
    outcome = run_suite(settings, "authenticity", "run-clean")
    assert outcome.critical_failures == []
    assert outcome.warnings == []


def test_mass_exclusion_is_critical(settings, warehouse):
    _fill(warehouse, excluded=20)
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "authenticity", "run-mass")
    failures = raised.value.outcome.critical_failures
    assert [f.data_asset for f in failures] == ["authenticity.account_scores"]
    assert "excluded" in failures[0].details["description"]


def test_common_reason_warns(settings, warehouse):
    _fill(warehouse, reason="email_disposable", reason_accounts=30)
    outcome = run_suite(settings, "authenticity", "run-reason")
    assert outcome.critical_failures == []
    assert len(outcome.warnings) == 1
    assert outcome.warnings[0].details["unexpected_rows_sample"] == [
        {"reason": "email_disposable", "accounts": 30}
    ]


def test_orphan_bridge_is_critical(settings, warehouse):
    _fill(warehouse)
    execute(warehouse, "update identity.persons set status = 'merged' where person_key = 'p7'")
    with pytest.raises(CriticalExpectationFailed) as raised:
        run_suite(settings, "authenticity", "run-orphan")
    assert [f.data_asset for f in raised.value.outcome.critical_failures] == ["identity.person_accounts"]


def test_residual_duplicates_warn(settings, warehouse):
    _fill(warehouse)
    execute(
        warehouse,
        "insert into identity.residual_duplicates (run_id, key_kind, groups, accounts, accounts_total)"
        " values ('id-1', 'email', 4, 8, 100), ('id-1', 'phone', 0, 0, 90)",
    )
    outcome = run_suite(settings, "authenticity", "run-residual")
    assert [w.data_asset for w in outcome.warnings] == ["identity.residual_duplicates"]


def test_drift_warns(settings, warehouse):
    _fill(warehouse)
    execute(
        warehouse,
        "insert into authenticity.drift_results (run_id, source, attribute, batch_rows, history_rows, psi,"
        " ks_statistic, ks_pvalue, status, message) values"
        " ('auth-1', 'shop', 'age', 500, 5000, 0.4, 0.3, 0.0001, 'warning', 'age drifted'),"
        " ('auth-1', 'shop', 'spend', 500, 5000, 0.01, 0.02, 0.8, 'ok', 'stable')",
    )
    outcome = run_suite(settings, "authenticity", "run-drift")
    assert [w.data_asset for w in outcome.warnings] == ["authenticity.drift_results"]
