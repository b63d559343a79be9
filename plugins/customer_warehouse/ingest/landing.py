"""Load every new file in the landing folder: Olist and CRM CSV exports and clickstream JSON lines.

Each file is loaded in its own transaction: the raw rows, the quarantine rows, the
``audit.load_batches`` row and the ``audit.file_manifest`` row commit together, so a crash
mid-file leaves nothing behind and the file loads on the next run. The manifest is keyed
by the file's SHA-256 checksum, so the same content is never loaded twice, whatever its
name or folder. One file failing never stops the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2

from customer_warehouse.config import Settings
from customer_warehouse.db import psycopg2_dsn
from customer_warehouse.ingest import batches
from customer_warehouse.ingest.batches import BatchResult
from customer_warehouse.ingest.contracts import (
    EVENT_FILE_SUFFIXES,
    EVENTS_CONTRACT,
    LANDED_CSV_CONTRACTS,
    Contract,
    csv_contract_for,
    expected_csv_names,
)
from customer_warehouse.ingest.csv_load import CsvFileLoad
from customer_warehouse.ingest.events import EventFileLoad
from customer_warehouse.ingest.files import FileFacts, file_checksum, inspect_file, read_header, utf8_copy

log = logging.getLogger(__name__)

# Timestamps may run ahead of the loader's clock by this much before they count as future.
FUTURE_SLACK = timedelta(days=1)
SOURCES = ("olist", "crm", "events")


def landed_files(landing_dir: Path) -> Iterator[tuple[str, Path]]:
    """Yield (source, path) for every visible file under ``olist/``, ``crm/`` and ``events/``, by path."""
    for source in SOURCES:
        folder = landing_dir / source
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
            if path.is_file() and not hidden:
                yield source, path


def contract_for(source: str, path: Path) -> Contract | None:
    if source in LANDED_CSV_CONTRACTS:
        return csv_contract_for(source, path.name)
    return EVENTS_CONTRACT if path.name.lower().endswith(EVENT_FILE_SUFFIXES) else None


def expected_names(source: str) -> str:
    if source in LANDED_CSV_CONTRACTS:
        return expected_csv_names(source)
    return ", ".join(f"*{suffix}" for suffix in EVENT_FILE_SUFFIXES)


def load_landing(settings: Settings, run_id: str) -> list[BatchResult]:
    """Load every file under ``settings.landing_dir`` not loaded before; return one result per file."""
    csv_contracts = [contract for contracts in LANDED_CSV_CONTRACTS.values() for contract in contracts]
    tables = [contract.table for contract in (*csv_contracts, EVENTS_CONTRACT)]
    batches.ensure_warehouse(settings.warehouse_url, tables)
    results = []
    conn = psycopg2.connect(psycopg2_dsn(settings.warehouse_url))
    try:
        for source, path in landed_files(settings.landing_dir):
            results.append(_load_one(conn, settings, run_id, source, path))
    finally:
        conn.close()
    return results


def _load_one(conn, settings: Settings, run_id: str, source: str, path: Path) -> BatchResult:
    started = time.perf_counter()
    relative = path.relative_to(settings.landing_dir).as_posix()
    contract = contract_for(source, path)
    entity = contract.entity if contract else path.stem
    result = BatchResult(batches.new_batch_id(run_id, source, entity), source, relative, None)
    try:
        if contract is None:
            result.status = batches.REJECTED
            result.message = (
                f"{relative}: file name {path.name!r} matches no known layout; expected one of "
                f"{expected_names(source)}; rename the file or move it out of {source}/"
            )
            with conn, conn.cursor() as cur:
                batches.record_batch(cur, result, run_id)
        else:
            result.target_table = contract.table
            _load_file(conn, settings, run_id, contract, path, result)
    except Exception as error:
        conn.rollback()
        log.exception("loading %s failed (batch %s)", relative, result.batch_id)
        _record_failure(conn, result, run_id, error)
    result.seconds = time.perf_counter() - started
    _log_result(result)
    return result


def _record_failure(conn, result: BatchResult, run_id: str, error: Exception) -> None:
    result.status = batches.FAILED
    result.rows_loaded = result.rows_quarantined = result.rows_read = 0
    result.message = (
        f"{result.source_object}: loading failed and was rolled back, so the file loads again next run: "
        f"{error}"
    )
    try:
        with conn, conn.cursor() as cur:
            batches.record_batch(cur, result, run_id)
    except psycopg2.Error:
        log.exception("could not record the failed batch %s", result.batch_id)


def _load_file(
    conn, settings: Settings, run_id: str, contract: Contract, path: Path, result: BatchResult
) -> None:
    relative = path.relative_to(settings.landing_dir).as_posix()
    with conn, conn.cursor() as cur:
        seen = batches.manifest_has_file(cur, relative, path.stat().st_size)
    if seen:
        # Most likely the same content again (landed files stay until retention purges
        # them), so hash first: a duplicate then costs one read of the file, not a load.
        facts = inspect_file(path, settings.landing_dir)
        with conn, conn.cursor() as cur:
            earlier = batches.find_manifest(cur, facts.checksum)
            if earlier is not None:
                _record_duplicate(cur, result, run_id, facts, earlier)
                return
            _load_checked(cur, run_id, contract, facts, result)
        return
    # A new path or size is most likely new content. Hashing took about a third of the
    # COPY's time in bench/bench_load.py, so a thread hashes the file while it loads, and
    # the duplicate check runs before the commit.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="landing-sha256") as pool:
        checksum = pool.submit(file_checksum, path)
        facts = inspect_file(path, settings.landing_dir, with_checksum=False)
        with conn, conn.cursor() as cur:
            cur.execute("savepoint speculative_load")
            _load_checked(cur, run_id, contract, facts, result, checksum)


def _load_checked(
    cur,
    run_id: str,
    contract: Contract,
    facts: FileFacts,
    result: BatchResult,
    checksum: Future[str] | None = None,
) -> None:
    """Load the file of ``facts`` in ``cur``'s transaction and register it in the manifest.

    With ``checksum`` (the SHA-256 still being computed), a file whose content turns out to
    be loaded already is rolled back to the savepoint ``speculative_load`` and recorded as
    skipped.
    """
    batches.start_batch(cur, result, run_id)
    if facts.encoding is None:
        _reject_undecodable(result, facts)
    elif contract is EVENTS_CONTRACT:
        _load_events(cur, facts, result)
    else:
        _load_csv(cur, facts, contract, result)
    if checksum is not None:
        facts = replace(facts, checksum=checksum.result())
        earlier = batches.find_manifest(cur, facts.checksum)
        if earlier is not None:
            cur.execute("rollback to savepoint speculative_load")
            result.rows_read = result.rows_loaded = result.rows_quarantined = 0
            _record_duplicate(cur, result, run_id, facts, earlier)
            return
    batches.finish_batch(cur, result)
    batches.register_file(
        cur, facts.checksum, facts.relative, facts.path.name, contract.entity, facts.size, result
    )


def _record_duplicate(
    cur, result: BatchResult, run_id: str, facts: FileFacts, earlier: tuple[str, str]
) -> None:
    result.status = batches.SKIPPED
    result.message = (
        f"{facts.relative} has the same content (SHA-256 {facts.checksum[:12]}...) as {earlier[1]}, "
        f"loaded by batch {earlier[0]}"
    )
    batches.record_batch(cur, result, run_id)


def _reject_undecodable(result: BatchResult, facts: FileFacts) -> None:
    result.status = batches.REJECTED
    result.message = (
        f"{facts.relative}: the file is not valid UTF-8, GB18030 or cp1252 text; "
        "re-export it as UTF-8 and land it again"
    )


def future_limit() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + FUTURE_SLACK


def _load_csv(cur, facts: FileFacts, contract: Contract, result: BatchResult) -> None:
    with utf8_copy(facts) as path:
        header = read_header(path)
        if header is None:
            result.status = batches.EMPTY
            result.message = f"{facts.relative} is empty: no header and no records"
            return
        load = CsvFileLoad(contract, header, result, future_limit(), facts.has_quotes)
        warnings = load.plan.warnings(contract.table)
        for warning in warnings:
            log.warning("%s: %s (batch %s)", facts.relative, warning, result.batch_id)
        if load.plan.missing_required:
            counts = load.reject_all(path)
        else:
            counts = load.load(cur, path)
    _settle(
        cur, result, counts.parsed + len(load.numbers.skipped), counts.loaded, counts.quarantine, warnings
    )


def _load_events(cur, facts: FileFacts, result: BatchResult) -> None:
    with utf8_copy(facts) as path:
        counts = EventFileLoad(result, future_limit()).load(cur, path)
    _settle(cur, result, counts.read, counts.loaded, counts.quarantine, counts.warnings)


def _settle(cur, result: BatchResult, read: int, loaded: int, quarantine: list, warnings: list[str]) -> None:
    """Write the quarantine rows and set the batch's counts, status and message."""
    result.rows_read = read
    result.rows_loaded = loaded
    result.rows_quarantined = read - loaded
    batches.write_quarantine(cur, result, quarantine)
    result.status = batches.status_for(read, loaded, result.rows_quarantined)
    notes = list(warnings)
    if quarantine:
        notes.insert(
            0, f"{result.rows_quarantined:,} quarantined: {batches.problems_message(result, quarantine)}"
        )
    if read == 0:
        notes.insert(0, f"{result.source_object} contains a header but no records")
    result.message = "; ".join(notes)


def _log_result(result: BatchResult) -> None:
    if result.status in (batches.FAILED, batches.REJECTED):
        log.error("%s", result.summary())
    elif result.status == batches.PARTIAL or (result.status == batches.LOADED and result.message):
        log.warning("%s", result.summary())
    else:
        log.info("%s", result.summary())
