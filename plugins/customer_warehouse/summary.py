"""Run summary: rows per layer, load reconciliation, quality results and segment sizes.

Loads, quarantined rows and quality results are those of one DAG run, the latest unless a
run id is given. Load totals since the warehouse was created are reported apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from customer_warehouse.config import Settings
from customer_warehouse.db import engine

log = logging.getLogger(__name__)

LAYERS = ("raw", "staging", "intermediate", "identity", "authenticity", "marts_build", "marts")
LOAD_FIGURES = ("batches", "rows_read", "rows_loaded", "rows_quarantined")


@dataclass
class RunSummary:
    """Figures of one DAG run (``run_id``), beside the warehouse's current contents and totals.

    ``loads``, ``quarantine_by_rule`` and ``quality`` cover that run only. ``loads_total``
    covers every run since the warehouse was created, with the number of runs.
    """

    run_id: str | None = None
    is_latest_run: bool = False
    rows_per_layer: dict[str, dict[str, int]] = field(default_factory=dict)
    loads: dict[str, int] = field(default_factory=dict)
    loads_total: dict[str, int] = field(default_factory=dict)
    quarantine_by_rule: dict[str, int] = field(default_factory=dict)
    quality: dict[str, dict[str, int]] = field(default_factory=dict)
    segments: dict[str, int] = field(default_factory=dict)
    vault_records: dict[str, int] = field(default_factory=dict)
    customer_truth: dict[str, int] = field(default_factory=dict)
    top_reasons: dict[str, int] = field(default_factory=dict)


def _relations(conn: sa.Connection, schema: str) -> list[str]:
    rows = conn.execute(
        sa.text(
            "select table_name from information_schema.tables where table_schema = :s order by table_name"
        ),
        {"s": schema},
    )
    return [name for (name,) in rows]


def latest_run_id(conn: sa.Connection) -> str | None:
    """Return the run id of the newest load batch, or None when nothing was ever loaded.

    Only the customer_warehouse DAG writes load batches, so an ad-hoc ``cw validate`` or
    ``cw publish`` never counts as the latest run.
    """
    # NOTE: a DAG run that records no batch at all (no source configured) is not found,
    # and the summary then describes the run before it.
    return conn.scalar(
        sa.text(
            "select run_id from audit.load_batches where run_id is not null"
            " order by started_at desc, batch_id desc limit 1"
        )
    )


def _loads(conn: sa.Connection, run_id: str | None) -> dict[str, int]:
    """Add up the load batches of ``run_id``, or of every run when it is None."""
    run_filter = "where run_id = :run_id" if run_id else ""
    row = conn.execute(
        sa.text(
            "select count(*), coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), "
            "coalesce(sum(rows_quarantined), 0), count(distinct run_id) "
            f"from audit.load_batches {run_filter}"
        ),
        {"run_id": run_id},
    ).one()
    loads = dict(zip(LOAD_FIGURES, row[:4], strict=True))
    if not run_id:
        loads["runs"] = row[4]
    return loads


def collect_summary(settings: Settings, run_id: str | None = None) -> RunSummary:
    """Count rows per relation of every layer and read one DAG run's bookkeeping.

    The load, quarantine and quality figures cover ``run_id``, or the latest DAG run
    (``latest_run_id``) when it is None. ``loads_total`` covers every run.
    """
    summary = RunSummary()
    eng = engine(settings.warehouse_url)
    with eng.connect() as conn:
        for schema in LAYERS:
            counts = {}
            for name in _relations(conn, schema):
                counts[name] = conn.scalar(sa.text(f'select count(*) from {schema}."{name}"'))
            if counts:
                summary.rows_per_layer[schema] = counts
        summary.run_id = run_id or latest_run_id(conn)
        summary.is_latest_run = run_id is None
        summary.loads_total = _loads(conn, None)
        if summary.run_id:
            _read_run(conn, summary)
        if "customer_segments" in summary.rows_per_layer.get("marts", {}):
            summary.segments = dict(
                conn.execute(
                    sa.text(
                        "select segment, count(*) from marts.customer_segments group by 1 order by 2 desc"
                    )
                ).all()
            )
        if "dim_persons" in summary.rows_per_layer.get("marts", {}):
            summary.customer_truth = _customer_truth(conn)
            summary.top_reasons = dict(
                conn.execute(
                    sa.text(
                        "select reason, count(*) from authenticity.account_scores,"
                        " unnest(reason_codes) as reason group by 1 order by 2 desc limit 5"
                    )
                ).all()
            )
    eng.dispose()
    summary.vault_records = _vault_records(settings)
    return summary


def _read_run(conn: sa.Connection, summary: RunSummary) -> None:
    """Read the loads, quarantined rows and quality results of ``summary.run_id``."""
    params = {"run_id": summary.run_id}
    summary.loads = _loads(conn, summary.run_id)
    summary.quarantine_by_rule = dict(
        conn.execute(
            sa.text(
                "select q.rule, count(*) from audit.quarantine q "
                "join audit.load_batches b using (batch_id) "
                "where b.run_id = :run_id group by q.rule order by 2 desc"
            ),
            params,
        ).all()
    )
    for suite, severity, success, count in conn.execute(
        sa.text(
            "select suite_name, severity, success, count(*) from audit.quality_results "
            "where run_id = :run_id group by 1, 2, 3 order by 1, 2"
        ),
        params,
    ):
        key = f"{severity}_{'passed' if success else 'failed'}"
        summary.quality.setdefault(suite, {})[key] = count


def _customer_truth(conn: sa.Connection) -> dict[str, int]:
    """Count accounts, the persons they resolve to, and the accounts kept out of the marts.

    The bridge also contains one row per account erased on request, under its anonymous key
    and marked excluded. Those rows are counted apart: they are neither customers nor
    accounts under review, and customer_review does not list them.
    """
    row = conn.execute(
        sa.text(
            "select count(*) filter (where s.anonymous_key is null),"
            " count(distinct b.person_key) filter (where s.anonymous_key is null),"
            " count(*) filter (where s.anonymous_key is not null)"
            " from marts.bdg_customer_person b"
            " left join audit.erasure_suppressions s on s.anonymous_key = b.customer_key"
        )
    ).one()
    return {
        "accounts": row[0],
        "persons": row[1],
        "erased_accounts": row[2],
        "excluded_accounts": conn.scalar(sa.text("select count(*) from marts.customer_review")),
        "persons_in_marts": conn.scalar(sa.text("select count(*) from marts.dim_persons")),
    }


def _vault_records(settings: Settings) -> dict[str, int]:
    """Count the vault's records per table; empty when the vault is not reachable yet."""
    from customer_warehouse.pii.vault import TABLES

    eng = engine(settings.vault_url)
    try:
        with eng.connect() as conn:
            return {table: conn.scalar(sa.text(f"select count(*) from {table}")) for table in TABLES}
    except sa.exc.SQLAlchemyError as error:
        log.warning("could not count the PII vault's records: %s", error.__class__.__name__)
        return {}
    finally:
        eng.dispose()


def _format_loads(loads: dict[str, int]) -> str:
    return (
        f"{loads.get('batches', 0):,} batches, {loads.get('rows_read', 0):,} rows read = "
        f"{loads.get('rows_loaded', 0):,} loaded + {loads.get('rows_quarantined', 0):,} quarantined"
    )


def format_summary(summary: RunSummary) -> str:
    lines = ["Rows per layer:"]
    for schema, counts in summary.rows_per_layer.items():
        lines.append(f"  {schema} ({sum(counts.values()):,} rows in {len(counts)} relations)")
        lines.extend(f"    {name:<45} {rows:>12,}" for name, rows in counts.items())
    if summary.vault_records:
        lines.append(f"  PII vault ({sum(summary.vault_records.values()):,} encrypted records)")
        lines.extend(f"    {name:<45} {rows:>12,}" for name, rows in summary.vault_records.items())
    if summary.run_id:
        lines.append(f"{'Latest DAG run' if summary.is_latest_run else 'DAG run'} {summary.run_id}:")
        lines.append(f"  Loads: {_format_loads(summary.loads)}")
        if summary.quarantine_by_rule:
            lines.append("  Quarantined rows by rule:")
            lines.extend(f"    {rule:<30} {count:>10,}" for rule, count in summary.quarantine_by_rule.items())
        lines.append("  Quality results:")
        for suite, counts in summary.quality.items():
            lines.append(f"    {suite}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    else:
        lines.append("No DAG run has loaded data yet: run `cw run`.")
    total = summary.loads_total
    if total.get("batches"):
        runs = total.get("runs", 0)
        runs_text = f"{runs:,} {'run' if runs == 1 else 'runs'}"
        lines.append(f"Loads since the warehouse was created ({runs_text}): {_format_loads(total)}")
    if summary.customer_truth:
        truth = summary.customer_truth
        lines.append(
            f"Customers: {truth['accounts']:,} accounts resolve to {truth['persons']:,} persons; "
            f"{truth['excluded_accounts']:,} accounts kept out of the marts for review "
            f"(marts.customer_review); {truth['persons_in_marts']:,} persons in marts.dim_persons"
        )
        if truth["erased_accounts"]:
            lines.append(
                f"  {truth['erased_accounts']:,} accounts erased on request stay in the marts as "
                "anonymous keys without attributes, so their orders still count"
            )
    if summary.top_reasons:
        lines.append("Most frequent authenticity reasons:")
        lines.extend(f"  {reason:<30} {count:>10,}" for reason, count in summary.top_reasons.items())
    if summary.segments:
        lines.append("Customer segments (persons):")
        lines.extend(f"  {segment:<30} {count:>10,}" for segment, count in summary.segments.items())
    return "\n".join(lines)


def log_summary(settings: Settings, run_id: str | None) -> RunSummary:
    summary = collect_summary(settings, run_id)
    for line in format_summary(summary).splitlines():
        log.info("%s", line)
    return summary
