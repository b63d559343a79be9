"""Suite ``authenticity``: the scores, persons and drift that identity resolution and scoring wrote.

It runs after both steps and before the marts are built. Critical failures mean the marts
would mislead: scores out of range, accounts bridged to persons that do not exist, or so
many accounts excluded that a rule must be broken (or the platform is under attack, which
a person should look at before the marts change). Warnings are figures to watch: the
share of accounts carrying each reason, duplicates left after resolution, drift of a
batch against the history. Queries return reason codes, key kinds and counts only.
"""

from __future__ import annotations

import great_expectations.expectations as gxe

from customer_warehouse.quality.spec import GateConfig, TableSuite, critical, warning

SUITE_NAME = "authenticity"

ACCOUNT_SCORES = [
    "customer_key", "source", "person_key", "score", "band", "is_excluded", "reason_codes", "reasons",
    "evidence", "review_decision", "run_id",
]  # fmt: skip
PERSON_ACCOUNTS = ["customer_key", "source", "person_key", "link_rule", "link_probability", "updated_run_id"]
BANDS = ["trusted", "suspect", "excluded"]


def account_scores(config: GateConfig) -> TableSuite:
    return TableSuite(
        table="authenticity.account_scores",
        columns=dict.fromkeys(ACCOUNT_SCORES),
        identifier_columns=frozenset({"customer_key", "person_key"}),
        row_checks=[
            gxe.ExpectColumnValuesToBeBetween(
                column="score", min_value=0, max_value=100, **critical("scores run from 0 to 100")
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="band", value_set=BANDS, **critical("the marts filter on these bands")
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="person_key", **critical("person scores and dim_persons group accounts by it")
            ),
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select count(*) filter (where is_excluded) as excluded, count(*) as scored from {batch}"
                    f" having count(*) filter (where is_excluded) > {config.max_excluded_share} * count(*)"
                ),
                description=(f"at most {config.max_excluded_share:.0%} of the scored accounts are excluded"),
                **critical(
                    "a sudden mass exclusion points to a broken rule or an attack; a person should look "
                    "before the marts drop those customers"
                ),
            ),
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select reason, count(*) as accounts from {batch}, unnest(reason_codes) as reason"
                    " group by reason"
                    f" having count(*) > {config.max_reason_share} * (select count(*) from {{batch}})"
                ),
                description=f"no reason is carried by over {config.max_reason_share:.0%} of the accounts",
                **warning(
                    "one reason on a large share of accounts means a source changed or a rule is too strict"
                ),
            ),
        ],
    )


def person_accounts() -> TableSuite:
    return TableSuite(
        table="identity.person_accounts",
        columns=dict.fromkeys(PERSON_ACCOUNTS),
        identifier_columns=frozenset({"customer_key", "person_key"}),
        row_checks=[
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select bridge.person_key from {batch} as bridge"
                    " left join identity.persons as persons on persons.person_key = bridge.person_key"
                    " and persons.status = 'active' where persons.person_key is null"
                ),
                description="every account belongs to an active person",
                **critical("an account bridged to a merged or missing person drops out of dim_persons"),
            ),
        ],
    )


def residual_duplicates(config: GateConfig) -> TableSuite:
    latest = "(select run_id from identity.runs order by started_at desc limit 1)"
    return TableSuite(
        table="identity.residual_duplicates",
        name="residual_duplicates_latest",
        batch_query=f"select * from identity.residual_duplicates where run_id = {latest}",
        row_checks=[
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select key_kind, groups, accounts from {batch}"
                    f" where accounts > {config.max_residual_duplicate_share} * accounts_total"
                ),
                description=(
                    f"at most {config.max_residual_duplicate_share:.0%} of the accounts sharing an email, "
                    "phone or platform person id belong to different persons after resolution"
                ),
                **warning("duplicates left after resolution inflate customer counts in the marts"),
            ),
        ],
    )


def drift() -> TableSuite:
    latest = "(select run_id from authenticity.runs order by started_at desc limit 1)"
    return TableSuite(
        table="authenticity.drift_results",
        name="drift_latest",
        batch_query=f"select * from authenticity.drift_results where run_id = {latest}",
        row_checks=[
            gxe.UnexpectedRowsExpectation(
                unexpected_rows_query=(
                    "select source, attribute, psi, ks_pvalue from {batch} where status = 'warning'"
                ),
                description="no attribute of the new batch drifted from the history (PSI and KS test)",
                **warning("drift is a quality signal, never a reason against one account"),
            ),
        ],
    )


def suite(config: GateConfig | None = None) -> list[TableSuite]:
    """Return the expectations on identity resolution and authenticity scoring output."""
    config = config or GateConfig.from_env()
    return [account_scores(config), person_accounts(), residual_duplicates(config), drift()]
