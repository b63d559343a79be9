"""Entry point of identity resolution: ``resolve_identities``, one call per pipeline run.

A full run resolves every account of the frame from scratch: deterministic rules,
Splink scoring of the blocked pairs, connected components, stable person keys,
survivorship. An incremental run gets only new and changed accounts. It looks up the
stored accounts that share a blocking value with them (keyed hashes in
``identity.account_blocking_keys``), calls ``load_accounts`` for those accounts' identities,
scores changed-vs-stored and changed-vs-changed pairs only, and then reclusters the
whole stored edge graph, which costs O(links), not O(accounts).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from customer_warehouse.identity import model as matcher
from customer_warehouse.identity import store
from customer_warehouse.identity.clusters import account_evidence, cluster
from customer_warehouse.identity.persons import assign_persons
from customer_warehouse.identity.prepare import (
    blocking_hashes,
    check_frame,
    index_columns,
    matching_table,
    pg_bigint_arrays,
)
from customer_warehouse.identity.rules import deterministic_links
from customer_warehouse.identity.settings import IdentitySettings
from customer_warehouse.identity.survivorship import Survivorship, golden_records
from customer_warehouse.pii.keys import Pseudonymizer
from customer_warehouse.warehouse import bootstrap

log = logging.getLogger(__name__)

AccountLoader = Callable[[set[str]], pd.DataFrame]


@dataclass
class IdentityRun:
    """Counts of one run, and the golden identifiers it produced (in memory, for the vault only)."""

    run_id: str
    mode: str
    counts: dict[str, int] = field(default_factory=dict)
    golden_identifiers: pd.DataFrame = field(default_factory=pd.DataFrame)
    seconds: float = 0.0

    def summary(self) -> dict[str, object]:
        return {"run_id": self.run_id, "mode": self.mode, **self.counts, "seconds": round(self.seconds, 2)}


class _Steps:
    """Logs one line per step with the run id, its counts, its wall time and this process's CPU time.

    The CPU time counts every thread of the process (DuckDB's included) but not PostgreSQL.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.started = time.monotonic()
        self.last = self.started
        self.last_cpu = time.process_time()

    def done(self, step: str, message: str, *args: object) -> None:
        now, cpu = time.monotonic(), time.process_time()
        log.info(
            "identity run %s: %s: " + message + " (%.1f s, %.1f CPU s)",
            self.run_id,
            step,
            *args,
            now - self.last,
            cpu - self.last_cpu,
        )
        self.last, self.last_cpu = now, cpu


def _load_model(
    engine, cfg: IdentitySettings, table: pd.DataFrame | None, steps: _Steps
) -> matcher.MatchModel:
    probabilistic = cfg.probabilistic
    if table is not None and len(table) >= probabilistic.min_accounts_to_train:
        try:
            trained = matcher.train(table, probabilistic)
        except matcher.TrainingError as error:
            # Some inputs hold no pairs to learn from (Olist exports carry no email, for
            # example); the shipped parameters still score whatever columns they have.
            log.warning("identity run %s: training failed, using the shipped model: %s", steps.run_id, error)
        else:
            steps.done("train", "trained m and u on %s accounts (seed %s)", len(table), probabilistic.seed)
            return trained
    if table is None:
        stored = store.load_model(engine)
        if stored is not None:
            return matcher.MatchModel(settings=stored, origin="stored")
    shipped = json.loads(probabilistic.model_file.read_text(encoding="utf-8"))
    steps.done("train", "using the shipped model %s", probabilistic.model_file.name)
    return matcher.MatchModel(settings=shipped, origin="shipped")


def _accepted(scored: pd.DataFrame, table: pd.DataFrame, cfg, rule_edges: pd.DataFrame) -> pd.DataFrame:
    """Return the pairs that score at least the threshold and are corroborated, minus rule links."""
    probable = scored[scored["match_probability"] >= cfg.match_probability_threshold]
    accepted = probable[matcher.corroborated(probable, table, cfg.corroborated_by)]
    left = np.minimum(accepted["unique_id_l"].to_numpy(), accepted["unique_id_r"].to_numpy())
    right = np.maximum(accepted["unique_id_l"].to_numpy(), accepted["unique_id_r"].to_numpy())
    edges = pd.DataFrame(
        {
            "unique_id_l": left,
            "unique_id_r": right,
            "rule": "probabilistic",
            "match_probability": accepted["match_probability"].to_numpy(),
        }
    )
    known = pd.MultiIndex.from_frame(rule_edges[["unique_id_l", "unique_id_r"]])
    fresh = ~pd.MultiIndex.from_frame(edges[["unique_id_l", "unique_id_r"]]).isin(known)
    return edges[fresh].drop_duplicates(["unique_id_l", "unique_id_r"])


def _bridge(frame, assignment, evidence, hashes, run_id) -> pd.DataFrame:
    # Accounts missing from ``frame`` (not returned by load_accounts) still get their new
    # person key; their source stays as stored.
    bridge = assignment.accounts.merge(evidence, on="customer_key", how="left")
    bridge["link_rule"] = bridge["link_rule"].fillna("unlinked")
    bridge = bridge.rename(columns={"linked_to": "linked_to_customer_key"})
    sources = frame.set_index("customer_key")["source"]
    bridge["source"] = bridge["customer_key"].map(sources)
    bridge["blocking_keys"] = bridge["customer_key"].map(hashes)
    bridge["updated_run_id"] = run_id
    return bridge[store.BRIDGE_COLUMNS]


def _golden(frame: pd.DataFrame, person_of: pd.Series, rules: Survivorship):
    with_person = frame.assign(person_key=frame["customer_key"].map(person_of))
    identifiers, attributes = golden_records(with_person, rules)
    return identifiers, attributes.reset_index()


def _edge_rows(edges: pd.DataFrame, run_id: str) -> pd.DataFrame:
    rows = edges.rename(columns={"unique_id_l": "customer_key_l", "unique_id_r": "customer_key_r"})
    return rows.assign(run_id=run_id)[store.EDGE_COLUMNS]


def _counts(frame, compared, scored, rule_edges, prob_edges, assignment) -> dict[str, int]:
    events = assignment.events["event"].value_counts()
    return {
        "accounts_in": len(frame),
        "accounts_compared": compared,
        "candidate_pairs": len(scored),
        "rule_links": len(rule_edges),
        "probabilistic_links": len(prob_edges),
        "persons_created": int(events.get("created", 0)),
        "persons_merged": int(events.get("merged", 0)),
        "persons_split": int(events.get("split", 0)),
    }


def _run_row(run: IdentityRun, model: matcher.MatchModel, started) -> dict[str, object]:
    return {
        "run_id": run.run_id,
        "mode": run.mode,
        **run.counts,
        "model_origin": model.origin,
        "started_at": started,
    }


def resolve_identities(
    frame: pd.DataFrame,
    warehouse_url: str,
    run_id: str,
    keys: Pseudonymizer | None = None,
    *,
    incremental: bool = False,
    load_accounts: AccountLoader | None = None,
    settings: IdentitySettings | None = None,
    survivorship: Survivorship | None = None,
) -> IdentityRun:
    """Resolve the accounts of ``frame`` into persons and store the result in ``identity``.

    ``frame`` is an identity frame (``frame.FRAME_COLUMNS``). A full run takes every
    live account and replaces the stored links and bridge; accounts stored before but
    missing from the frame leave the bridge. ``incremental=True`` takes only new and
    changed accounts and needs ``load_accounts``: a function that returns the identity
    frame rows of the customer keys it is given (from the PII vault). Without stored
    state an incremental run falls back to a full run of ``frame``.

    Returns the counts and the golden identifiers of every person the run touched.
    """
    keys = keys or Pseudonymizer.from_env()
    cfg = settings or IdentitySettings.load()
    rules = survivorship or Survivorship.load()
    frame = check_frame(frame)
    steps = _Steps(run_id)
    engine = bootstrap(warehouse_url)
    try:
        if incremental and load_accounts is None:
            raise ValueError(
                "an incremental identity run needs load_accounts to read stored accounts' identities"
            )
        if incremental and not store.has_state(engine):
            log.info(
                "identity run %s: no stored identity state, so this incremental run resolves in full", run_id
            )
            incremental = False
        runner = _incremental if incremental else _full
        run = runner(engine, frame, run_id, keys, cfg, rules, steps, load_accounts)
    finally:
        engine.dispose()
    run.seconds = time.monotonic() - steps.started
    log.info("identity run %s finished: %s", run_id, json.dumps(run.summary()))
    return run


def _full(engine, frame, run_id, keys, cfg, rules, steps, _loader) -> IdentityRun:
    started = store.now()
    probabilistic = cfg.probabilistic
    table = matching_table(frame, probabilistic.blocking_rules, probabilistic.max_block_size)
    columns = index_columns(probabilistic.blocking_rules, cfg.deterministic_rules)
    hashes = pd.Series(pg_bigint_arrays(blocking_hashes(table, columns, keys)), index=table["unique_id"])
    steps.done("prepare", "standardized %s accounts", len(table))

    model = _load_model(engine, cfg, table, steps)
    rule_edges = deterministic_links(frame, table, cfg.deterministic_rules)
    steps.done("rules", "%s rule links", len(rule_edges))
    scored = matcher.predict_all(table, model, probabilistic)
    prob_edges = _accepted(scored, table, probabilistic, rule_edges)
    steps.done(
        "score",
        "%s candidate pairs (%.2f per account), %s accepted",
        len(scored),
        len(scored) / max(len(table), 1),
        len(prob_edges),
    )

    edges = pd.concat([rule_edges, prob_edges], ignore_index=True)
    clusters = cluster(table["unique_id"].to_numpy(), edges)
    previous = store.load_bridge(engine)
    assignment = assign_persons(clusters, previous, run_id, keys)
    retired, retire_events = _retired(previous, assignment)
    assignment.events = pd.concat([assignment.events, retire_events], ignore_index=True)
    steps.done("cluster", "%s persons from %s links", assignment.accounts["person_key"].nunique(), len(edges))

    run = IdentityRun(run_id=run_id, mode="full")
    run.counts = _counts(frame, len(table), scored, rule_edges, prob_edges, assignment)
    write = store.RunWrite(
        run_id=run_id,
        full=True,
        run=_run_row(run, model, started),
        bridge=_bridge(frame, assignment, account_evidence(clusters, edges), hashes, run_id),
        edges=_edge_rows(edges, run_id),
        edges_replaced_for=[],
        persons=None,
        merged=assignment.merged,
        retired=retired,
        events=assignment.events,
        model=model.settings if model.origin == "trained" else None,
    )
    # PostgreSQL loads the bridge and builds its indexes (most of the storage time at 1M)
    # while this thread computes the golden records.
    transaction = store.RunTransaction(engine, write)
    try:
        person_of = assignment.accounts.set_index("customer_key")["person_key"]
        identifiers, attributes = _golden(frame, person_of, rules)
        steps.done("survivorship", "golden records of %s persons", len(attributes))
    except BaseException:
        transaction.abort()
        raise
    run.golden_identifiers = identifiers
    transaction.finish(attributes)
    steps.done(
        "store",
        "wrote %s accounts, %s persons, %s events (after survivorship)",
        len(write.bridge),
        len(attributes),
        len(write.events),
    )
    return run


def _retired(previous: pd.Series, assignment) -> tuple[list[str], pd.DataFrame]:
    """Return previous persons none of whose accounts is left, with their events."""
    kept = set(assignment.accounts["person_key"]) | set(assignment.merged)
    gone = sorted(set(previous.unique()) - kept)
    events = pd.DataFrame(
        {
            "event": "retired",
            "person_key": gone,
            "other_person_key": None,
            "account_count": 0,
            "reason": "none of its accounts is in the input any more",
        }
    )
    return gone, events


def _frames(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [part for part in parts if len(part)]
    return pd.concat(frames, ignore_index=True) if frames else check_frame(pd.DataFrame({"customer_key": []}))


def _load(load_accounts: AccountLoader, wanted: set[str]) -> pd.DataFrame:
    if not wanted:
        return check_frame(pd.DataFrame({"customer_key": []}))
    loaded = check_frame(load_accounts(set(wanted)))
    return loaded[loaded["customer_key"].isin(wanted)]


def _incremental(engine, frame, run_id, keys, cfg, rules, steps, load_accounts) -> IdentityRun:
    started = store.now()
    probabilistic = cfg.probabilistic
    changed = matching_table(frame, probabilistic.blocking_rules, None)
    columns = index_columns(probabilistic.blocking_rules, cfg.deterministic_rules)
    changed_hashes = blocking_hashes(changed, columns, keys)
    hashes = pd.Series(pg_bigint_arrays(changed_hashes), index=changed["unique_id"])
    wanted = np.unique(changed_hashes[changed_hashes != 0]).tolist()
    candidates, crowded = store.find_candidates(engine, wanted, probabilistic.max_block_size)
    candidates -= set(frame["customer_key"])
    existing_frame = _load(load_accounts, candidates)
    existing = matching_table(existing_frame, probabilistic.blocking_rules, None)
    steps.done(
        "candidates",
        "%s new or changed accounts share blocking values with %s stored accounts (%s keys too common)",
        len(frame),
        len(existing_frame),
        crowded,
    )
    model = _load_model(engine, cfg, None, steps)
    combined_frame = _frames([frame, existing_frame])
    combined = pd.concat([changed, existing], ignore_index=True)
    scope = np.arange(len(combined)) < len(changed)
    rule_edges = deterministic_links(combined_frame, combined, cfg.deterministic_rules, scope)
    scored = matcher.predict_incremental(changed, existing, model, probabilistic)
    prob_edges = _accepted(scored, combined, probabilistic, rule_edges)
    steps.done(
        "score",
        "%s rule links, %s candidate pairs, %s accepted",
        len(rule_edges),
        len(scored),
        len(prob_edges),
    )

    changed_keys = set(frame["customer_key"])
    stored_edges = store.load_edges(engine)
    touches = stored_edges["unique_id_l"].isin(changed_keys) | stored_edges["unique_id_r"].isin(changed_keys)
    new_edges = pd.concat([rule_edges, prob_edges], ignore_index=True)
    edges = pd.concat([stored_edges[~touches], new_edges], ignore_index=True)
    clusters = cluster(np.array(sorted(changed_keys), dtype=object), edges)
    previous = store.load_bridge(engine, clusters["customer_key"])
    assignment = assign_persons(clusters, previous, run_id, keys)
    steps.done("cluster", "reclustered %s accounts over %s stored and new links", len(clusters), len(edges))

    person_of = assignment.accounts.set_index("customer_key")["person_key"]
    moved = person_of[person_of.index.isin(changed_keys) | (person_of != person_of.index.map(previous))]
    # Persons that gained or lost accounts, including what remains of a split person.
    affected = set(moved) | set(assignment.merged.values()) | set(previous.reindex(moved.index).dropna())
    members = person_of[person_of.isin(affected)]
    have = set(combined_frame["customer_key"])
    golden_frame = _frames([combined_frame, _load(load_accounts, set(members.index) - have)])
    golden_frame = golden_frame[golden_frame["customer_key"].isin(members.index)]
    identifiers, attributes = _golden(golden_frame, person_of, rules)
    steps.done("survivorship", "golden records of %s affected persons", len(attributes))

    run = IdentityRun(run_id=run_id, mode="incremental", golden_identifiers=identifiers)
    run.counts = _counts(frame, len(combined), scored, rule_edges, prob_edges, assignment)
    members_clusters = assignment.accounts[assignment.accounts["customer_key"].isin(members.index)]
    bridge = _bridge(
        golden_frame, _subset(assignment, members_clusters), account_evidence(clusters, edges), hashes, run_id
    )
    write = store.RunWrite(
        run_id=run_id,
        full=False,
        run=_run_row(run, model, started),
        bridge=bridge,
        edges=_edge_rows(new_edges, run_id),
        edges_replaced_for=sorted(changed_keys),
        persons=attributes,
        merged=assignment.merged,
        retired=[],
        events=assignment.events,
    )
    store.write_run(engine, write)
    steps.done(
        "store", "wrote %s accounts, %s persons, %s events", len(bridge), len(attributes), len(write.events)
    )
    return run


def _subset(assignment, accounts: pd.DataFrame):
    return type(assignment)(accounts=accounts, events=assignment.events, merged=assignment.merged)
