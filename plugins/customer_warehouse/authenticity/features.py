"""Inputs of one scoring run: the identity frame and the facts checked and aligned, and account features.

Account features are what the warehouse stores per account for later runs: cohort
features, the numeric attributes, and the pseudonymous device and IP keys with the
creation time (for sign-up bursts). None of them is a direct identifier.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customer_warehouse.authenticity.cohorts import ATTRIBUTES, age_bands
from customer_warehouse.authenticity.config import AuthenticityConfig
from customer_warehouse.authenticity.facts import FACTS_COLUMNS, conform_facts
from customer_warehouse.authenticity.plausibility import Births, plausible_ages
from customer_warehouse.identity.frame import FRAME_COLUMNS

FEATURE_COLUMNS = (
    "customer_key",
    "source",
    "signup_channel",
    "region",
    "age_band",
    "created_at",
    "signup_device_key",
    "signup_ip_key",
    *ATTRIBUTES,
)
REQUIRED_FRAME_COLUMNS = ("customer_key", "source")


class InputError(ValueError):
    """The identity frame or the account facts cannot be scored as given."""


def conform_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the identity frame with every FRAME_COLUMNS column (missing ones as None) and a fresh index."""
    missing = [name for name in REQUIRED_FRAME_COLUMNS if name not in frame]
    if missing:
        raise InputError(
            f"the identity frame has no column {', '.join(missing)}; see identity.frame.FRAME_COLUMNS"
        )
    out = frame.reset_index(drop=True).copy()
    for name in REQUIRED_FRAME_COLUMNS:
        empty = out[name].isna()
        if empty.any():
            raise InputError(
                f"identity frame row {int(np.flatnonzero(empty.to_numpy())[0])} has no {name}; "
                "every account needs its key and source"
            )
    duplicated = out["customer_key"].duplicated()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated.to_numpy())[0])
        raise InputError(
            f"the identity frame repeats customer_key at row {first} ({int(duplicated.sum())} repeats); "
            "pass one row per account"
        )
    for name in FRAME_COLUMNS:
        if name not in out:
            out[name] = None
    return out


def align_facts(frame: pd.DataFrame, facts: pd.DataFrame | None) -> pd.DataFrame:
    """Return one facts row per frame row, in frame order; accounts without facts get unknown values.

    An account without a facts row has no orders known: its counts are NaN, not 0.
    """
    facts = conform_facts(facts if facts is not None else pd.DataFrame({"customer_key": []}))
    aligned = frame[["customer_key"]].merge(facts, on="customer_key", how="left", validate="one_to_one")
    return aligned[list(FACTS_COLUMNS)]


def account_features(
    frame: pd.DataFrame, facts: pd.DataFrame, born: Births, config: AuthenticityConfig
) -> pd.DataFrame:
    """Build the stored features of each account: cohort features, attributes, burst keys."""
    country = frame["country_code"].astype("object").str.strip().str.upper()
    ages = plausible_ages(born, config)
    features = pd.DataFrame(
        {
            "customer_key": frame["customer_key"].astype("object"),
            "source": frame["source"].astype("object"),
            "signup_channel": frame["signup_channel"].astype("object"),
            "region": country.where(country.notna() & (country != ""), None),
            "age_band": age_bands(ages, config.cohorts.age_bands),
            "created_at": pd.to_datetime(frame["created_at"], utc=True, errors="coerce"),
            "signup_device_key": frame["signup_device_key"].astype("object"),
            "signup_ip_key": frame["signup_ip_key"].astype("object"),
            "age": ages,
        }
    )
    for name in ATTRIBUTES:
        if name == "age":
            continue
        features[name] = facts[name].to_numpy(dtype=float) if name in facts else np.nan
    return features[list(FEATURE_COLUMNS)]


def population(batch: pd.DataFrame, history: pd.DataFrame | None) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the stored history without the batch's accounts, then the batch, and the batch's positions.

    A changed account is judged by its new values only: its stored version is dropped.
    """
    if history is None or history.empty:
        return batch.reset_index(drop=True), np.arange(len(batch))
    earlier = history[~history["customer_key"].isin(batch["customer_key"])]
    earlier = earlier[list(FEATURE_COLUMNS)].astype(batch.dtypes.to_dict(), errors="ignore")
    combined = pd.concat([earlier, batch], ignore_index=True)
    return combined, np.arange(len(earlier), len(combined))
