"""Parameters of one simulation run, the planted-defect rates and the run summary."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

MIN_CUSTOMERS = 1_000
MAX_CUSTOMERS = 1_000_000
# A fixed default start keeps runs reproducible: the same seed and size give the same rows.
DEFAULT_START = date(2025, 1, 1)
STORE_CURRENCY = "USD"
DAY_SECONDS = 86_400


class SimulationError(ValueError):
    """Invalid simulation request: size out of range, non-empty platform, missing state."""


@dataclass(frozen=True)
class DefectRates:
    """Shares of accounts that carry each planted defect."""

    duplicate_person: float = 0.06  # persons registered two or three times
    third_account: float = 0.2  # share of duplicated persons with a third account
    fake_signup: float = 0.03  # share of all accounts that are fake sign-ups
    implausible_birth_date: float = 0.012
    missing_birth_date: float = 0.08
    missing_phone: float = 0.05
    soft_deleted_customer: float = 0.01


@dataclass(frozen=True)
class AdvanceRates:
    """Daily volumes of ``advance`` as shares of the existing customers or orders."""

    new_customers: float = 0.003
    new_orders: float = 0.008
    address_changes: float = 0.001
    contact_edits: float = 0.0015
    soft_deletes: float = 0.0005
    late_updates: float = 0.0008


@dataclass(frozen=True)
class SimulationPlan:
    """Size, seed and time window of a run."""

    customers: int
    seed: int
    start: date
    days: int
    defects: DefectRates = field(default_factory=DefectRates)

    @property
    def start_ts(self) -> int:
        return _epoch(self.start)

    @property
    def end_ts(self) -> int:
        return self.start_ts + self.days * DAY_SECONDS

    def to_json(self) -> dict:
        return {
            "customers": self.customers,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "days": self.days,
            "defect_rates": asdict(self.defects),
            "currency": STORE_CURRENCY,
        }


@dataclass
class SimulationSummary:
    """Row counts written per table, event files and events, and planted-defect counts."""

    rows: dict[str, int] = field(default_factory=dict)
    event_files: int = 0
    events: int = 0
    defects: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


def _epoch(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_SECONDS


def check_size(customers: int) -> None:
    """Raise ``SimulationError`` unless ``customers`` lies in the supported range."""
    if not MIN_CUSTOMERS <= customers <= MAX_CUSTOMERS:
        raise SimulationError(
            f"--customers {customers:,} is out of range: "
            f"choose between {MIN_CUSTOMERS:,} and {MAX_CUSTOMERS:,}"
        )
