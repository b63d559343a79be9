"""Clustering of accounts into persons: connected components over accepted links."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def cluster(accounts: np.ndarray, edges: pd.DataFrame) -> pd.DataFrame:
    """Return (customer_key, cluster) for every account; clusters are numbered from 0.

    Edge ends missing from ``accounts`` are added as accounts. Cluster numbers follow the
    smallest account key in each cluster, so they do not depend on the input order.
    """
    # Fixed-width text sorts in C; an object array would compare Python strings.
    every = np.concatenate(
        [
            np.asarray(accounts, dtype=object),
            edges["unique_id_l"].to_numpy(dtype=object),
            edges["unique_id_r"].to_numpy(dtype=object),
        ]
    ).astype(str)
    keys = np.unique(every)
    left = np.searchsorted(keys, edges["unique_id_l"].to_numpy(dtype=object).astype(str))
    right = np.searchsorted(keys, edges["unique_id_r"].to_numpy(dtype=object).astype(str))
    graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(len(keys), len(keys)))
    _, labels = connected_components(graph, directed=False)
    # Keys are sorted, so the first row of each label holds the cluster's smallest key.
    _, first_row = np.unique(labels, return_index=True)
    order = np.argsort(np.argsort(first_row))
    return pd.DataFrame({"customer_key": keys.astype(object), "cluster": order[labels]})


def account_evidence(clusters: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Return, per account with a link, the strongest link that ties it into its cluster.

    A rule link beats a probabilistic one, then the higher probability wins. Columns:
    customer_key, linked_to (the other account), link_rule, link_probability.
    """
    if edges.empty:
        return pd.DataFrame(columns=["customer_key", "linked_to", "link_rule", "link_probability"])
    both = pd.concat(
        [
            edges.rename(columns={"unique_id_l": "customer_key", "unique_id_r": "linked_to"}),
            edges.rename(columns={"unique_id_r": "customer_key", "unique_id_l": "linked_to"}),
        ],
        ignore_index=True,
    )
    both["is_rule"] = both["rule"] != "probabilistic"
    both = both.sort_values(["customer_key", "is_rule", "match_probability"], ascending=[True, False, False])
    best = both.drop_duplicates("customer_key", keep="first")
    return best.rename(columns={"rule": "link_rule", "match_probability": "link_probability"})[
        ["customer_key", "linked_to", "link_rule", "link_probability"]
    ]
