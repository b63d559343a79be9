"""Probabilistic matching with Splink 5 (Fellegi-Sunter) on an in-memory DuckDB.

The comparisons read the matching table of ``prepare.py``. Parameters are trained per
full run on a bounded, seeded sample: u by random sampling of pairs, m by expectation
maximisation on pairs blocked by ``em_blocking_rules``. Small inputs, too small to
train on, use the parameters in the model file shipped in ``config/``. Term-frequency
adjustments are left out: incremental runs see only a slice of the accounts, so term
frequencies computed there would be wrong.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.internals.exceptions import SplinkException

from customer_warehouse.identity.settings import ProbabilisticSettings

log = logging.getLogger(__name__)

# Columns of the matching table that Splink reads; blocking columns are added per rule.
COMPARED_COLUMNS = (
    "unique_id",
    "name_key",
    "name_native",
    "name_tokens",
    "name_han",
    "birth_date",
    "email",
    "email_local",
    "phone",
    "postcode",
    "city",
    "street",
)


def within_one_edit(left: str, right: str) -> str:
    """Return DuckDB SQL that is true when two ASCII texts are at most one edit apart.

    The result equals ``damerau_levenshtein(left, right) <= 1`` (NULL when a side is
    NULL) but computes the distance for few pairs. One edit at position i (a substitution,
    an insertion, a deletion, or a swap of i and i + 1) leaves the first i characters and
    the last m - i - 2 equal, m being the shorter length. So a pair within one edit shares
    its first m - 2 characters or its last one. Random phones and birth dates rarely do,
    and DuckDB's CASE computes the distance only for the rows that pass this test. On the
    2,000,000 pairs of the u estimate (DuckDB 2.0, shared 2-core machine) the phone level
    took 3.7 s instead of 17.7 s.
    """
    shorter = f"greatest(least(length({left}), length({right})) - 2, 0)"
    return (
        f"(CASE WHEN {left} IS NULL OR {right} IS NULL THEN NULL "
        f"WHEN left({left}, {shorter}) = left({right}, {shorter}) OR right({left}, 1) = right({right}, 1) "
        f"THEN damerau_levenshtein({left}, {right}) <= 1 ELSE false END)"
    )


# Agreement on each corroborating field, as the comparison levels define it: birth date
# and phone up to one digit off or two swapped, the postcode exactly.
CORROBORATING_SQL = {
    "birth_date": within_one_edit("l.birth_date", "r.birth_date"),
    "phone": within_one_edit("l.phone", "r.phone"),
    "postcode": "l.postcode = r.postcode",
}
PREDICTION_COLUMNS = [
    "unique_id_l",
    "unique_id_r",
    "match_probability",
    "match_weight",
    "match_key",
]


# m probability of "all other comparisons" per comparison: the share of true matches
# that disagree completely (a new phone, a move, a second mailbox). Fixed, not trained:
# when no matching pair in the EM sample disagrees, EM drives this m to exactly 0.0,
# which Splink 5.0.0 rejects (ValueError below 1e-300), and a zero m would forbid a
# match forever on that one field.
DISAGREE_M = {
    "name": 0.01,
    "birth_date": 0.02,
    "email": 0.2,
    "phone": 0.1,
    "address": 0.1,
}


def _else_level(column: str) -> cll.ElseLevel:
    return cll.ElseLevel().configure(m_probability=DISAGREE_M[column], fix_m_probability=True)


def _name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_key"),
            cll.CustomLevel("name_native_l = name_native_r", "same name as written"),
            cll.CustomLevel(
                "name_key_l = name_key_r AND NOT (name_han_l AND name_han_r)",
                "same name in another script, case or order",
            ),
            cll.CustomLevel("name_key_l = name_key_r", "same pinyin, different Han characters"),
            cll.CustomLevel("jaro_winkler_similarity(name_key_l, name_key_r) >= 0.92", "similar spelling"),
            # The same test as Splink's ArrayIntersectLevel with min_intersection=1, which
            # counts the whole intersection: twice as slow in DuckDB 2.0 on sampled pairs.
            cll.CustomLevel("list_has_any(name_tokens_l, name_tokens_r)", "a name token in common"),
            _else_level("name"),
        ],
    )


def _levels(column: str, *levels: tuple[str, str]) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=column,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ExactMatchLevel(column),
            *(cll.CustomLevel(sql, label) for sql, label in levels),
            _else_level(column),
        ],
    )


def comparisons() -> list[cl.CustomComparison]:
    return [
        _name_comparison(),
        _levels(
            "birth_date",
            (within_one_edit("birth_date_l", "birth_date_r"), "one digit off or two swapped"),
        ),
        _levels(
            "email",
            ("email_local_l = email_local_r", "same mailbox name, other domain"),
            ("jaro_winkler_similarity(email_local_l, email_local_r) >= 0.88", "similar mailbox name"),
        ),
        _levels("phone", (within_one_edit("phone_l", "phone_r"), "one digit off or two swapped")),
        _address_comparison(),
    ]


def _address_comparison() -> cl.CustomComparison:
    """Compare addresses as one field: postcode, city and street are far from independent."""
    return cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.CustomLevel(
                "(postcode_l IS NULL AND city_l IS NULL) OR (postcode_r IS NULL AND city_r IS NULL)"
            ).configure(is_null_level=True),
            cll.CustomLevel(
                "postcode_l = postcode_r AND street_l = street_r", "same street line and postcode"
            ),
            cll.CustomLevel(
                "postcode_l = postcode_r AND jaro_winkler_similarity(street_l, street_r) >= 0.88",
                "similar street line, same postcode",
            ),
            cll.CustomLevel("postcode_l = postcode_r", "same postcode"),
            cll.CustomLevel("city_l = city_r", "same city"),
            _else_level("address"),
        ],
    )


def settings_creator(cfg: ProbabilisticSettings) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[block_on(f"blk_{rule.name}") for rule in cfg.blocking_rules],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        probability_two_random_records_match=1e-5,
    )


def splink_input(table: pd.DataFrame, cfg: ProbabilisticSettings) -> pd.DataFrame:
    """Return the columns of the matching table that Splink reads."""
    return table[[*COMPARED_COLUMNS, *(f"blk_{rule.name}" for rule in cfg.blocking_rules)]]


class TrainingError(RuntimeError):
    """The sample contains too little to train on (no pairs for a training rule, a degenerate fit)."""


@dataclass
class MatchModel:
    """Trained Splink settings (parameters only, no data values) and how they were obtained."""

    settings: dict[str, Any]
    origin: str  # trained, stored or shipped


def train(table: pd.DataFrame, cfg: ProbabilisticSettings) -> MatchModel:
    """Train m and u on a bounded sample of the matching table; reproducible for ``cfg.seed``."""
    # Seeded sampling draws rows by position: sort so that the input order does not matter.
    ordered = table.sort_values("unique_id", ignore_index=True)
    try:
        return _train(ordered, cfg)
    except (SplinkException, ValueError, ZeroDivisionError) as error:
        raise TrainingError(f"{type(error).__name__}: {str(error).splitlines()[0]}") from error


def _train(table: pd.DataFrame, cfg: ProbabilisticSettings) -> MatchModel:
    db_api = DuckDBAPI()
    linker = Linker(
        db_api.register(splink_input(table, cfg)), settings_creator(cfg), log_level=logging.WARNING
    )
    training = linker.training
    training.estimate_probability_two_random_records_match([block_on("email"), block_on("phone")], recall=0.8)
    # One pass over the sampled pairs per comparison. Splink's default splits the sample
    # into ten chunks and stops once every level has counted 100 pairs. The exact email
    # and phone levels never get there among random pairs, so all ten chunks ran, each
    # joining the whole sample again, for the same counts.
    training.estimate_u_using_random_sampling(
        max_pairs=cfg.u_max_pairs, seed=cfg.seed, num_chunks=1, min_count_per_level=None
    )
    for columns in cfg.em_blocking_rules:
        training.estimate_parameters_using_expectation_maximisation(
            block_on(*columns), max_pairs=cfg.em_max_pairs
        )
    settings = fill_untrained(linker.misc.save_model_to_json(), cfg.u_max_pairs)
    return MatchModel(settings=settings, origin="trained")


def fill_untrained(settings: dict[str, Any], u_max_pairs: int) -> dict[str, Any]:
    """Give every level that training never observed a probability, so none is left to Splink's guesses.

    A level no randomly sampled pair reached (exact email, exact phone) is rare among
    non-matches: its u is set to the bound the sample still allows, one pair in
    ``u_max_pairs``. Treating it as neutral instead would take all the weight out of an
    exact email match. A level no EM pair reached gets m = u, a Bayes factor of 1.
    """
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            if level.get("u_probability") is None:
                level["u_probability"] = 1.0 / u_max_pairs
            if level.get("m_probability") is None:
                level["m_probability"] = level["u_probability"]
    return settings


def _with_blocking_rules(settings: dict[str, Any], cfg: ProbabilisticSettings) -> dict[str, Any]:
    """Return stored settings with today's blocking rules, which may have changed in the config."""
    current = settings_creator(cfg).get_settings("duckdb").as_dict()
    return {
        **settings,
        "blocking_rules_to_generate_predictions": current["blocking_rules_to_generate_predictions"],
    }


def corroborated(pairs: pd.DataFrame, table: pd.DataFrame, fields: tuple[str, ...]) -> np.ndarray:
    """Tell per pair (``unique_id_l``, ``unique_id_r`` of ``table``) whether one of ``fields`` agrees.

    Every pair counts as corroborated when ``fields`` is empty. A field missing on either
    side does not agree.
    """
    if not fields or pairs.empty:
        return np.ones(len(pairs), dtype=bool)
    linked = pd.unique(np.concatenate([pairs["unique_id_l"].to_numpy(), pairs["unique_id_r"].to_numpy()]))
    accounts = table.loc[table["unique_id"].isin(linked), ["unique_id", "birth_date", "phone", "postcode"]]
    ids = pd.DataFrame(
        {"position": np.arange(len(pairs)), "l": pairs["unique_id_l"], "r": pairs["unique_id_r"]}
    )
    condition = " OR ".join(f"coalesce({CORROBORATING_SQL[field]}, false)" for field in fields)
    with duckdb.connect() as connection:
        connection.register("accounts", accounts)
        connection.register("pairs", ids)
        agree = connection.execute(
            f"select p.position, {condition} as agree from pairs p "
            "join accounts l on l.unique_id = p.l join accounts r on r.unique_id = p.r"
        ).fetch_df()
    result = np.zeros(len(pairs), dtype=bool)
    result[agree["position"].to_numpy()] = agree["agree"].to_numpy(dtype=bool)
    return result


def predict_all(table: pd.DataFrame, model: MatchModel, cfg: ProbabilisticSettings) -> pd.DataFrame:
    """Score every blocked pair of the table; return all scored pairs (no threshold)."""
    db_api = DuckDBAPI()
    frame = db_api.register(splink_input(table, cfg))
    linker = Linker(frame, _with_blocking_rules(model.settings, cfg), log_level=logging.WARNING)
    scored = linker.inference.predict(warning_mode="never")
    return scored.as_pandas_dataframe()[PREDICTION_COLUMNS]


def predict_incremental(
    changed: pd.DataFrame, existing: pd.DataFrame, model: MatchModel, cfg: ProbabilisticSettings
) -> pd.DataFrame:
    """Score the pairs of changed accounts with each other and with existing accounts only."""
    db_api = DuckDBAPI()
    changed_df = db_api.register(splink_input(changed, cfg), table_name="changed_accounts")
    existing_df = db_api.register(splink_input(existing, cfg), table_name="existing_accounts")
    linker = Linker(changed_df, _with_blocking_rules(model.settings, cfg), log_level=logging.WARNING)
    within = linker.inference.predict_within(changed_df, warning_mode="never").as_pandas_dataframe()
    parts = [within[PREDICTION_COLUMNS]]
    if len(existing):
        between = linker.inference.predict_between(existing_df, changed_df, warning_mode="never")
        parts.append(between.as_pandas_dataframe()[PREDICTION_COLUMNS])
    return pd.concat(parts, ignore_index=True)
