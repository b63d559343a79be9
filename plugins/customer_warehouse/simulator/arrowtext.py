"""Column-wise string building on pyarrow arrays, used where numpy string concatenation is too slow.

``join`` concatenates whole columns in one pyarrow compute call. Fixed-width ASCII values
such as hex ids and UUIDs become string arrays straight from their bytes, with no per-row work.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Text = pa.Array | pa.Scalar | str


def fixed_width(data: bytes, width: int) -> pa.StringArray:
    """Wrap ``data``, a run of ASCII values of ``width`` bytes each, as a string array."""
    n = len(data) // width
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def hex_digits(values: np.ndarray) -> pa.StringArray:
    """Format unsigned 64-bit integers as 16 lowercase hex digits each."""
    return fixed_width(values.astype(">u8").tobytes().hex().encode("ascii"), 16)


def uuids(rng: np.random.Generator, n: int) -> pa.StringArray:
    """Draw ``n`` version-4 UUID strings from ``rng``; the draws match ``textops.uuids``."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.frombuffer(raw.tobytes().hex().encode("ascii"), dtype=np.uint8).reshape(n, 32)
    dashed = np.full((n, 36), ord("-"), dtype=np.uint8)
    for start, stop, shift in ((0, 8, 0), (8, 12, 1), (12, 16, 2), (16, 20, 3), (20, 32, 4)):
        dashed[:, start + shift : stop + shift] = digits[:, start:stop]
    return fixed_width(dashed.tobytes(), 36)


def integers(values: np.ndarray) -> pa.StringArray:
    return pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())


def lookup(values: Sequence[str], index: np.ndarray) -> pa.StringArray:
    """Return ``values[index]`` for every element of ``index``."""
    return pa.array(list(values), type=pa.string()).take(pa.array(np.asarray(index, dtype=np.int64)))


def join(*parts: Text) -> pa.StringArray:
    """Concatenate string arrays and literals element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def choose(mask: np.ndarray, a: Text, b: Text) -> pa.StringArray:
    """Return ``a`` where ``mask`` is set and ``b`` elsewhere, element-wise."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, b)


def value_bytes(values: pa.StringArray) -> memoryview:
    """Return the bytes of all values of ``values`` back to back (no separators)."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[
        values.offset : values.offset + len(values) + 1
    ]
    data = values.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def value_lengths(values: pa.StringArray) -> np.ndarray:
    """Return the length in bytes of every value of ``values``."""
    return pc.binary_length(values).to_numpy(zero_copy_only=False).astype(np.int64)
