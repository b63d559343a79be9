"""Day files of clickstream events, written in two passes so memory stays bounded.

Rendered lines first go to spool files, one per UTC day, in a hidden temporary folder
inside the events folder. Each spooled line lacks its ``event_id`` and comes with an
int64 sort key. ``DaySpool.finish`` then sorts each day by that key, prefixes the event
ids drawn from ``rng([seed, day, 7])`` in sorted order, and writes
``events-YYYY-MM-DD.jsonl`` with ``-partN`` files above ``MAX_LINES_PER_FILE`` lines.
``finish`` keeps one day in memory at a time.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from customer_warehouse.simulator import arrowtext

log = logging.getLogger(__name__)
MAX_LINES_PER_FILE = 200_000


class DaySpool:
    """Spooled event lines per day, waiting to be sorted and written as day files."""

    def __init__(self, events_dir: Path, seed: int) -> None:
        events_dir.mkdir(parents=True, exist_ok=True)
        self.events_dir = events_dir
        self.seed = seed
        self.folder = Path(tempfile.mkdtemp(prefix=".spool-", dir=events_dir))
        self.days: set[int] = set()

    def append(self, day: int, keys: np.ndarray, bodies: pa.StringArray) -> None:
        """Add the lines of one day (each without its event id) with their sort keys."""
        self.days.add(day)
        index = np.column_stack([keys, arrowtext.value_lengths(bodies)]).astype(np.int64)
        with (self.folder / f"{day}.index").open("ab") as handle:
            handle.write(index.tobytes())
        with (self.folder / f"{day}.lines").open("ab") as handle:
            handle.write(arrowtext.value_bytes(bodies))

    def finish(self, progress: bool = True) -> tuple[int, int]:
        """Write every spooled day as day files and remove the spool; return (files, events) written."""
        files = events = 0
        try:
            for day in sorted(self.days):
                written, lines = self._write_day(day)
                files += written
                events += lines
                if progress and len(self.days) > 30 and files % 30 == 0:
                    log.info("events: wrote %s files, up to day %s", files, np.datetime64(day, "D"))
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
        return files, events

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def _read_day(self, day: int) -> tuple[np.ndarray, pa.StringArray]:
        index = np.fromfile(self.folder / f"{day}.index", dtype=np.int64).reshape(-1, 2)
        data = (self.folder / f"{day}.lines").read_bytes()
        offsets = np.r_[0, np.cumsum(index[:, 1])]
        if offsets[-1] >= 2**31:
            raise ValueError(
                f"spooled events of day {np.datetime64(day, 'D')} exceed 2 GiB, the limit of one "
                "pyarrow string array: simulate fewer customers"
            )
        bodies = pa.StringArray.from_buffers(
            len(index), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)
        )
        return index[:, 0], bodies

    def _write_day(self, day: int) -> tuple[int, int]:
        keys, bodies = self._read_day(day)
        order = np.argsort(keys, kind="stable")
        bodies = bodies.take(pa.array(order))
        ids = arrowtext.uuids(np.random.default_rng([self.seed, day, 7]), len(bodies))
        lines = arrowtext.join('{"event_id": "', ids, '"', bodies, "\n")
        name = str(np.datetime64(day, "D"))
        parts = max(1, -(-len(lines) // MAX_LINES_PER_FILE))
        for part in range(parts):
            suffix = "" if part == 0 else f"-part{part + 1}"
            chunk = lines.slice(part * MAX_LINES_PER_FILE, MAX_LINES_PER_FILE)
            with (self.events_dir / f"events-{name}{suffix}.jsonl").open("wb") as handle:
                handle.write(arrowtext.value_bytes(chunk))
        return parts, len(lines)
