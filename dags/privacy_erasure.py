"""
### Privacy erasure, on request

Forgets one person everywhere but the source platform, for a right-to-be-forgotten
request under the EU's GDPR or China's PIPL. Trigger it by hand with the parameters:

- **subject_kind**: `customer_key`, `person_key` or `email`;
- **subject**: the key or the email (an email is only hashed, never stored);
- **reason**: the request's ticket or reference;
- **requested_by**: who asks.

The task finds every account of the person (identity resolution links them), deletes
their records from the PII vault, their raw rows and quarantine rows, their rows in the
intermediate, candidate and published marts, identity and authenticity tables, and the
keys in stored quality results and Data Docs. Orders stay, under a random anonymous key,
so totals do not change. A suppression entry keeps the next extraction from bringing the
accounts back. Every request is recorded in `audit.erasure_requests`, the subject only as
a keyed digest. The same can be run from the command line: `cw privacy erase`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task

from customer_warehouse.airflow_support import notify_failure


@task
def erase_person(params: dict | None = None) -> dict:
    from customer_warehouse.config import settings
    from customer_warehouse.pii.erasure import ErasureRequest, erase

    params = params or {}
    request = ErasureRequest(
        subject_kind=params.get("subject_kind", ""),
        subject=params.get("subject", ""),
        reason=params.get("reason", ""),
        requested_by=params.get("requested_by", ""),
    )
    return erase(settings(), request).summary()


@dag(
    dag_id="privacy_erasure",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "privacy-office", "retries": 0, "on_failure_callback": notify_failure},
    tags=["customer-warehouse", "privacy", "erasure"],
    doc_md=__doc__,
    params={
        "subject_kind": Param("customer_key", enum=["customer_key", "person_key", "email"]),
        "subject": Param("", type="string", minLength=1, description="the key or email of the person"),
        "reason": Param("", type="string", minLength=1, description="the request's ticket or reference"),
        "requested_by": Param("", type="string", minLength=1, description="who asks"),
    },
)
def privacy_erasure():
    erase_person()


privacy_erasure()
