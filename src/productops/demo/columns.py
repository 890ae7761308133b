"""Building blocks of demo columns: the fixed period, timestamps as integers, ids and hashes.

Times are handled as int64 microseconds since the Unix epoch (UTC) so that whole
columns are computed with numpy; a negative value stands for a missing time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DAY",
    "END",
    "HOUR",
    "MINUTE",
    "START",
    "WEEK",
    "Bools",
    "Column",
    "Ints",
    "Times",
    "at",
    "choose",
    "concat",
    "hex_strings",
    "iso_date",
    "lognormal",
    "numbered",
    "strings",
    "take",
    "timestamps",
    "within",
]

Ints: TypeAlias = npt.NDArray[np.int64]
Times: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]
Column: TypeAlias = "pa.Array[Any]"

MINUTE = 60_000_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY


def at(text: str) -> int:
    """Microseconds since the epoch of an ISO date or date-time, read as UTC."""
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1_000_000


def iso_date(us: int) -> str:
    """The UTC date of `us` as YYYY-MM-DD."""
    return datetime.fromtimestamp(us / 1_000_000, UTC).date().isoformat()


# The demo covers two years ending 2026-10-31; END is exclusive. Never now(): output is fixed.
START = at("2024-11-01")
END = at("2026-11-01")


def timestamps(us: npt.NDArray[np.int64]) -> Column:
    """A UTC timestamp column, rounded to the second; negative values become null."""
    values = np.asarray(us, dtype=np.int64)
    seconds = values // 1_000_000 * 1_000_000
    column = pa.array(seconds, pa.int64(), mask=values < 0)
    return cast("Column", column.cast(pa.timestamp("us", tz="UTC")))


def within(times: Times) -> Times:
    """`times`, with those at or after END made missing (not happened yet)."""
    return np.where((times >= 0) & (times < END), times, -1)


def lognormal(
    rng: np.random.Generator, median: float | npt.NDArray[np.float64], sigma: float, size: int
) -> npt.NDArray[np.float64]:
    """Lognormal draws with the given median (durations are right-skewed)."""
    return rng.lognormal(np.log(median), sigma, size)


def strings(values: Sequence[str | None] | npt.NDArray[np.object_]) -> Column:
    return cast("Column", pa.array(values, pa.string()))


def take(
    values: Column | pa.ChunkedArray[Any],
    index: npt.NDArray[np.integer[Any]],
    missing: Bools | None = None,
) -> Column:
    """`values` at the positions `index`; null where `missing` is true."""
    positions = pa.array(np.asarray(index, dtype=np.int64), pa.int64(), mask=missing)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.take(positions)


def choose(
    rng: np.random.Generator, options: Sequence[str], size: int, p: Sequence[float] | None = None
) -> tuple[Column, Ints]:
    """`size` draws from `options` as a string column, with the indices drawn."""
    weights = None if p is None else np.asarray(p, dtype=np.float64) / np.sum(p)
    index = rng.choice(len(options), size, p=weights).astype(np.int64)
    return take(strings(options), index), index


# The stubs do not cover a variadic call with a separator; the function takes any mix.
_join: Callable[..., Column] = pc.binary_join_element_wise


def concat(*parts: Column | str) -> Column:
    """Element-wise concatenation of string columns and constants (null if any part is)."""
    return _join(*parts, "")


def numbered(prefix: str | Column, numbers: npt.NDArray[np.int64], width: int = 0) -> Column:
    """Ids such as `demo:fb-000042`: `prefix` followed by the zero-padded number."""
    digits = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    if width:
        digits = pc.utf8_lpad(digits, width, "0")
    return concat(prefix, digits)


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def hex_strings(rng: np.random.Generator, size: int, nbytes: int = 16) -> Column:
    """`size` random lowercase hex strings of `2 * nbytes` characters (hashes, commit shas)."""
    raw = rng.integers(0, 256, (size, nbytes), dtype=np.uint8)
    chars = np.empty((size, 2 * nbytes), dtype=np.uint8)
    chars[:, 0::2] = _HEX[raw >> 4]
    chars[:, 1::2] = _HEX[raw & 15]
    offsets = np.arange(0, 2 * nbytes * (size + 1), 2 * nbytes, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), size, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(chars.tobytes())]
    )
