"""Authenticity scoring: is each customer account, and each person, real?

Every account gets a score from 0 to 100 and the reasons behind it, from four kinds of
evidence: validity (email, phone, postcode), plausibility (names, birth dates, declared
values), consistency (postcode against city and state, sign-up bursts, orders without
payments) and statistics by cohort (robust outliers, an IsolationForest, drift). Weights,
thresholds and vocabularies live in ``config/authenticity.yml``. Accounts under the
exclusion threshold are flagged ``is_excluded`` for the analysts' default views and listed
for review; nothing is deleted.

- ``score_accounts``: the pipeline's entry point; scores a batch and stores the results.
- ``changed_accounts``: the accounts of a frame that are new or changed since their last scoring.
- ``score_batch``: the same scoring in memory, reading and writing nothing.
- ``record_decision``: a reviewer's include or exclude decision, honoured by later runs.
"""

from customer_warehouse.authenticity.config import AuthenticityConfig, ConfigError, load_config
from customer_warehouse.authenticity.facts import FACTS_COLUMNS, empty_facts, shop_account_facts
from customer_warehouse.authenticity.features import InputError
from customer_warehouse.authenticity.review import record_decision
from customer_warehouse.authenticity.run import ScoringSummary, changed_accounts, score_accounts
from customer_warehouse.authenticity.scoring import ScoredBatch, score_batch

__all__ = [
    "FACTS_COLUMNS",
    "AuthenticityConfig",
    "ConfigError",
    "InputError",
    "ScoredBatch",
    "ScoringSummary",
    "changed_accounts",
    "empty_facts",
    "load_config",
    "record_decision",
    "score_accounts",
    "score_batch",
    "shop_account_facts",
]
