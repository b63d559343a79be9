"""Stable person keys across runs: survivors of merges and splits, and the events that record them.

Each previous person has a home cluster: the cluster holding most of its accounts
(ties go to the cluster with the smallest account key). A cluster that is home to
previous persons keeps the key of the one with most accounts there (ties go to the
smallest person key); the other persons at home there are merged into it. A cluster
that is home to none gets a new key. A previous person whose accounts land in
clusters other than its home has split, and each such part is recorded.

New keys are HMACs of the run id and the cluster's smallest account key: random-looking,
not reversible without the pseudonymization secret, and the same when a run is
repeated with the same input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from customer_warehouse.pii.keys import Pseudonymizer

EVENT_COLUMNS = ["event", "person_key", "other_person_key", "account_count", "reason"]


@dataclass
class Assignment:
    """Person key per account, and the events of this run."""

    accounts: pd.DataFrame  # customer_key, cluster, person_key
    events: pd.DataFrame  # EVENT_COLUMNS
    merged: dict[str, str]  # merged person key -> surviving person key


def _home_clusters(overlap: pd.DataFrame) -> pd.DataFrame:
    """Return each previous person's home cluster with its account count there."""
    ranked = overlap.sort_values(["previous", "accounts", "cluster"], ascending=[True, False, True])
    return ranked.drop_duplicates("previous", keep="first")


def _survivors(homes: pd.DataFrame) -> pd.DataFrame:
    ranked = homes.sort_values(["cluster", "accounts", "previous"], ascending=[True, False, True])
    return ranked.drop_duplicates("cluster", keep="first").set_index("cluster")["previous"]


def _new_keys(clusters: pd.DataFrame, missing: np.ndarray, run_id: str, keys: Pseudonymizer) -> pd.Series:
    # ``cluster()`` returns accounts sorted by key, so the first row of a cluster is its smallest key.
    rows = clusters[clusters["cluster"].isin(missing)].drop_duplicates("cluster", keep="first")
    return pd.Series(
        [keys.key("person", f"{run_id}:{account}") for account in rows["customer_key"]],
        index=rows["cluster"].to_numpy(),
        dtype=object,
    )


def assign_persons(
    clusters: pd.DataFrame, previous: pd.Series, run_id: str, keys: Pseudonymizer
) -> Assignment:
    """Give every cluster a person key, keeping previous keys where the rules above allow.

    ``clusters``: customer_key, cluster. ``previous``: person key by customer_key from the
    last run, for the accounts it knew.
    """
    accounts = clusters.copy()
    accounts["previous"] = accounts["customer_key"].map(previous)
    known = accounts.dropna(subset=["previous"])
    overlap = known.groupby(["previous", "cluster"]).size().rename("accounts").reset_index()
    homes = _home_clusters(overlap)
    survivors = _survivors(homes)
    all_clusters = np.unique(accounts["cluster"].to_numpy())
    missing = np.setdiff1d(all_clusters, survivors.index.to_numpy())
    person_of_cluster = pd.concat([survivors, _new_keys(accounts, missing, run_id, keys)])
    accounts["person_key"] = accounts["cluster"].map(person_of_cluster)
    events, merged = _events(accounts, overlap, homes, survivors, person_of_cluster, missing)
    return Assignment(
        accounts=accounts[["customer_key", "cluster", "person_key"]], events=events, merged=merged
    )


def _events(
    accounts, overlap, homes, survivors, person_of_cluster, missing
) -> tuple[pd.DataFrame, dict[str, str]]:
    sizes = accounts.groupby("cluster").size()
    created = pd.DataFrame(
        {
            "event": "created",
            "person_key": person_of_cluster.reindex(missing).to_numpy(),
            "other_person_key": None,
            "account_count": sizes.reindex(missing).to_numpy(),
            "reason": "new cluster of accounts",
        }
    )
    rows: list[tuple] = []
    merged: dict[str, str] = {}
    home_of = homes.set_index("previous")["cluster"]
    losers = homes[homes["previous"].to_numpy() != survivors.reindex(homes["cluster"]).to_numpy()]
    for previous, cluster, count in losers[["previous", "cluster", "accounts"]].itertuples(index=False):
        survivor = survivors[cluster]
        merged[previous] = survivor
        rows.append(
            ("merged", previous, survivor, int(count), f"its accounts were linked to person {survivor}")
        )
    moved = overlap[overlap["cluster"].to_numpy() != home_of.reindex(overlap["previous"]).to_numpy()]
    for previous, cluster, count in moved[["previous", "cluster", "accounts"]].itertuples(index=False):
        target = person_of_cluster[cluster]
        rows.append(
            (
                "split",
                previous,
                target,
                int(count),
                f"{count} accounts no longer link to the rest and moved to {target}",
            )
        )
    changes = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    events = pd.concat([created, changes], ignore_index=True) if len(changes) else created
    return events, merged
