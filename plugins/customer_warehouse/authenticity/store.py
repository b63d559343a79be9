"""Reading and writing the ``authenticity`` schema of the warehouse (DDL: sql/020_authenticity.sql).

Reads use ``COPY ... TO STDOUT`` and writes ``COPY ... FROM STDIN`` into temporary
tables followed by one upsert per table, so a million accounts move in seconds. Every
write of a run happens in the caller's transaction.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.drift import DRIFT_COLUMNS
from customer_warehouse.authenticity.features import FEATURE_COLUMNS
from customer_warehouse.authenticity.persons import PERSON_COLUMNS
from customer_warehouse.authenticity.profiles import PROFILE_COLUMNS
from customer_warehouse.authenticity.scoring import ACCOUNT_COLUMNS, ScoredBatch

log = logging.getLogger(__name__)

_TEXT_FEATURES = (
    "customer_key",
    "source",
    "signup_channel",
    "region",
    "age_band",
    "signup_device_key",
    "signup_ip_key",
)
_STORED_ACCOUNT_COLUMNS = (
    "customer_key",
    "person_key",
    "score",
    "is_excluded",
    "reason_codes",
    "reasons",
    "review_decision",
)


# Persons a batch touches: those its accounts belong to now, and those they belonged to
# at their last scoring (identity resolution may have moved an account to another person).
_TOUCHED_PERSONS = """
    select person_key from batch_keys
    union
    select earlier.person_key from authenticity.account_scores as earlier join batch_keys using (customer_key)
"""


def _read_copy(cur, query: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Run ``query`` through COPY and read its CSV output with every column as text."""
    buffer = io.StringIO()
    cur.copy_expert(f"copy ({query}) to stdout with (format csv, header true)", buffer)
    buffer.seek(0)
    frame = pd.read_csv(buffer, dtype="object", keep_default_na=False, na_values=[""])
    return frame.reindex(columns=list(columns))


def read_history(cur) -> pd.DataFrame:
    """Return the stored features of every account scored before (FEATURE_COLUMNS)."""
    history = _read_copy(
        cur, f"select {', '.join(FEATURE_COLUMNS)} from authenticity.account_features", FEATURE_COLUMNS
    )
    for name in FEATURE_COLUMNS:
        if name == "created_at":
            history[name] = pd.to_datetime(history[name], utc=True, errors="coerce", format="ISO8601")
        elif name not in _TEXT_FEATURES:
            history[name] = pd.to_numeric(history[name], errors="coerce").astype("float64")
        else:
            history[name] = history[name].astype("object").where(history[name].notna(), None)
    return history


def read_decisions(cur) -> pd.DataFrame:
    return _read_copy(
        cur, "select customer_key, decision from authenticity.review_decisions", ("customer_key", "decision")
    )


def _copy_in(
    cur, table: str, frame: pd.DataFrame, columns: tuple[str, ...], texts: tuple[str, ...] = ()
) -> None:
    """COPY ``columns`` of ``frame`` into ``table``; missing values become NULL.

    An empty string and NULL look the same in CSV, so the not-null text columns listed
    in ``texts`` read an empty field as an empty string (FORCE_NOT_NULL).
    """
    buffer = io.StringIO()
    frame.to_csv(
        buffer, columns=list(columns), header=False, index=False, quoting=csv.QUOTE_MINIMAL, na_rep=""
    )
    buffer.seek(0)
    options = f", force_not_null ({', '.join(texts)})" if texts else ""
    cur.copy_expert(f"copy {table} ({', '.join(columns)}) from stdin with (format csv{options})", buffer)


def _timestamps_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Write UTC timestamp columns as ISO text at once; pandas formats them row by row, 2 s per 100,000."""
    out = frame.copy()
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.DatetimeTZDtype):
            values = frame[name].dt.tz_convert("UTC").to_numpy(dtype="datetime64[us]")
            text = np.char.add(np.datetime_as_string(values, unit="us").astype(str), "+00")
            out[name] = np.where(np.isnat(values), "", text)
    return out


def stage_batch_keys(cur, accounts: pd.DataFrame) -> None:
    """Copy the batch's (customer_key, person_key) pairs into the temporary table batch_keys."""
    cur.execute(
        "create temporary table if not exists batch_keys (customer_key text primary key, person_key text)"
    )
    cur.execute("truncate batch_keys")
    _copy_in(cur, "batch_keys", accounts, ("customer_key", "person_key"))


def read_person_accounts(cur) -> pd.DataFrame:
    """Return the stored accounts, outside the batch, of every person the batch touches."""
    query = f"""
        select {", ".join(f"scores.{name}" for name in _STORED_ACCOUNT_COLUMNS)}
        from authenticity.account_scores as scores
        where not exists (select 1 from batch_keys where batch_keys.customer_key = scores.customer_key)
            and scores.person_key in ({_TOUCHED_PERSONS})
    """
    stored = _read_copy(cur, query, _STORED_ACCOUNT_COLUMNS)
    stored["score"] = pd.to_numeric(stored["score"]).astype("float64")
    stored["is_excluded"] = stored["is_excluded"].eq("t")
    stored["reason_codes"] = stored["reason_codes"].fillna("{}").map(_parse_text_array)
    stored["reasons"] = stored["reasons"].fillna("")
    stored["review_decision"] = (
        stored["review_decision"].astype("object").where(stored["review_decision"].notna(), None)
    )
    return stored


def _parse_text_array(text: str) -> list[str]:
    """Parse a PostgreSQL text[] of reason codes (letters, digits and underscores only)."""
    inner = text.strip("{}")
    return inner.split(",") if inner else []


def _text_array(codes: list[str]) -> str:
    return "{" + ",".join(codes) + "}"


def stage_touched_persons(cur) -> None:
    """Keep the person keys the batch in batch_keys touches in the temporary table touched_persons.

    They must be taken before the account upsert overwrites the accounts' earlier persons.
    """
    cur.execute(f"create temporary table touched_persons on commit drop as {_TOUCHED_PERSONS}")


def _upsert(cur, table: str, frame: pd.DataFrame, columns: tuple[str, ...], key: str) -> None:
    staging = f"staged_{table.split('.')[-1]}"
    cur.execute(f"create temporary table {staging} (like {table} including defaults) on commit drop")
    _copy_in(cur, staging, frame, columns, texts=tuple(name for name in ("reasons",) if name in columns))
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name != key)
    cur.execute(
        f"insert into {table} ({', '.join(columns)}) select {', '.join(columns)} from {staging} "
        f"on conflict ({key}) do update set {updates}"
    )


def write_scores(cur, scored: ScoredBatch, run_id: str) -> None:
    """Upsert the batch's account scores and features; replace the touched persons' scores."""
    stage_touched_persons(cur)
    accounts = scored.accounts.assign(
        reason_codes=scored.accounts["reason_codes"].map(_text_array),
        score=scored.accounts["score"].round(1),
        run_id=run_id,
    )
    _upsert(cur, "authenticity.account_scores", accounts, (*ACCOUNT_COLUMNS, "run_id"), "customer_key")
    _upsert(
        cur,
        "authenticity.account_features",
        scored.features.assign(run_id=run_id),
        (*FEATURE_COLUMNS, "run_id"),
        "customer_key",
    )
    cur.execute(
        "delete from authenticity.person_scores where person_key in (select person_key from touched_persons)"
    )
    persons = scored.persons.assign(
        reason_codes=scored.persons["reason_codes"].map(_text_array),
        score=scored.persons["score"].round(1),
        run_id=run_id,
    )
    _upsert(cur, "authenticity.person_scores", persons, (*PERSON_COLUMNS, "run_id"), "person_key")


def write_run_tables(cur, scored: ScoredBatch, run_id: str, started_at: datetime, config_sha256: str) -> None:
    """Replace this run's drift results, cohort profiles and run row (a retried run overwrites its own)."""
    for table in ("drift_results", "cohort_profiles"):
        cur.execute(f"delete from authenticity.{table} where run_id = %s", (run_id,))
    _copy_in(
        cur,
        "authenticity.drift_results",
        scored.drift.assign(run_id=run_id),
        ("run_id", *DRIFT_COLUMNS),
        ("message",),
    )
    _copy_in(
        cur,
        "authenticity.cohort_profiles",
        scored.profiles.assign(run_id=run_id),
        ("run_id", *PROFILE_COLUMNS),
    )
    accounts = scored.accounts
    cur.execute(
        "insert into authenticity.runs (run_id, started_at, finished_at, accounts_scored, accounts_excluded,"
        " accounts_suspect, persons_scored, drift_warnings, config_sha256)"
        " values (%s, %s, now(), %s, %s, %s, %s, %s, %s)"
        " on conflict (run_id) do update set started_at = excluded.started_at,"
        " finished_at = excluded.finished_at,"
        " accounts_scored = excluded.accounts_scored, accounts_excluded = excluded.accounts_excluded,"
        " accounts_suspect = excluded.accounts_suspect, persons_scored = excluded.persons_scored,"
        " drift_warnings = excluded.drift_warnings, config_sha256 = excluded.config_sha256",
        (
            run_id,
            started_at,
            len(accounts),
            int(accounts["is_excluded"].sum()),
            int((accounts["band"] == "suspect").sum()),
            len(scored.persons),
            int((scored.drift["status"] == "warning").sum()),
            config_sha256,
        ),
    )


def stored_versions(cur) -> pd.DataFrame:
    """Return each scored account's source_updated_at at its last scoring."""
    versions = _read_copy(
        cur,
        "select customer_key, source_updated_at from authenticity.account_scores",
        ("customer_key", "source_updated_at"),
    )
    versions["source_updated_at"] = pd.to_datetime(
        versions["source_updated_at"], utc=True, errors="coerce", format="ISO8601"
    )
    return versions
