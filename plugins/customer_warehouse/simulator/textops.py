"""Column-wise string building on numpy arrays: pools, padding, hex ids, UUIDs, IPs, times."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.dtypes import StringDType

STR = StringDType()
NULL_TS = np.iinfo(np.int64).min  # epoch-second columns use this for SQL NULL (it is NaT)


def pool(values: Sequence[str]) -> np.ndarray:
    return np.array(list(values), dtype=STR)


def pick(
    rng: np.random.Generator, values: Sequence[str], n: int, p: Sequence[float] | None = None
) -> np.ndarray:
    """Draw ``n`` strings from ``values`` (with probabilities ``p``)."""
    probabilities = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
    return pool(values)[rng.choice(len(values), size=n, p=probabilities)]


def zpad(numbers: np.ndarray, width: int) -> np.ndarray:
    return np.strings.zfill(np.asarray(numbers).astype(np.int64).astype(str).astype(STR), width)


def text(numbers: np.ndarray) -> np.ndarray:
    return np.asarray(numbers).astype(np.int64).astype(str).astype(STR)


def concat(*parts: np.ndarray | str) -> np.ndarray:
    """Join string arrays and literals element-wise."""
    result = parts[0] if isinstance(parts[0], np.ndarray) else np.array(parts[0], dtype=STR)
    for part in parts[1:]:
        result = np.strings.add(result, part)
    return result


def where(mask: np.ndarray, a: np.ndarray | str, b: np.ndarray | str) -> np.ndarray:
    return np.where(mask, np.asarray(a, dtype=STR), np.asarray(b, dtype=STR)).astype(STR)


def hex_strings(rng: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    return _hex_of(raw)


def _hex_of(raw: np.ndarray) -> np.ndarray:
    n, nbytes = raw.shape
    if n == 0:
        return np.array([], dtype=STR)
    encoded = raw.tobytes().hex().encode("ascii")
    return np.frombuffer(encoded, dtype=f"S{2 * nbytes}").astype(str).astype(STR)


def uuids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return ``n`` random version-4 UUID strings drawn from ``rng`` (so they are reproducible)."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    if n == 0:
        return np.array([], dtype=STR)
    digits = np.frombuffer(raw.tobytes().hex().encode("ascii"), dtype=np.uint8).reshape(n, 32)
    dashed = np.full((n, 36), ord("-"), dtype=np.uint8)
    for start, stop, offset in ((0, 8, 0), (8, 12, 1), (12, 16, 2), (16, 20, 3), (20, 32, 4)):
        dashed[:, start + offset : stop + offset] = digits[:, start:stop]
    return np.frombuffer(dashed.tobytes(), dtype="S36").astype(str).astype(STR)


def ipv4(rng: np.random.Generator, n: int) -> np.ndarray:
    octets = [
        rng.integers(1, 224, n),
        rng.integers(0, 256, n),
        rng.integers(0, 256, n),
        rng.integers(1, 255, n),
    ]
    return concat(text(octets[0]), ".", text(octets[1]), ".", text(octets[2]), ".", text(octets[3]))


def ipv6(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = pick(rng, ("240e", "2408", "2600", "2a02", "2804", "2001"), n)
    groups = [np.strings.lstrip(hex_strings(rng, n, 2), "0") for _ in range(3)]
    groups = [where(np.strings.str_len(g) == 0, "0", g) for g in groups]
    return concat(prefixes, ":", groups[0], ":", groups[1], "::", groups[2])


def with_nulls(values: np.ndarray, null_mask: np.ndarray) -> np.ndarray:
    """Return an object array of Python strings with ``None`` where ``null_mask`` is set."""
    result = values.astype(object)
    result[null_mask] = None
    return result


def iso_with_offset(ts: np.ndarray, offset_seconds: np.ndarray, offset_text: np.ndarray) -> np.ndarray:
    """Format epoch seconds as local ISO 8601 times with their UTC offset."""
    local = (ts + offset_seconds).astype("datetime64[s]")
    return concat(np.datetime_as_string(local, unit="s").astype(STR), offset_text)


def ranks(groups: np.ndarray) -> np.ndarray:
    """Return each element's position within its run of equal, sorted ``groups`` values (0, 1, ...)."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    run_lengths = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, run_lengths)
