"""Input validation shared by every selection rule.

Every public rule accepts rewards shaped ``(..., N)`` and an optional boolean ``mask`` of the same
shape (``True`` marks a real candidate; ``False`` a padding slot of a ragged pool). Masked slots may
hold anything, NaN included: they are never read. Anything else that is wrong raises ``ValueError``
naming the argument, the offending row and what to do about it, so that nothing is coerced silently.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _row_label(index: tuple[int, ...]) -> str:
    """Name a row of a ``(..., N)`` batch the way a user indexes it."""
    if len(index) == 0:
        return "the only row"
    if len(index) == 1:
        return f"row {index[0]}"
    return f"row {index}"


def check_rewards(
    rewards: ArrayLike, mask: ArrayLike | None = None, *, name: str = "rewards", finite: bool = True
) -> tuple[FloatArray, BoolArray]:
    """Return ``(rewards, mask)`` as float64 / bool arrays after checking them.

    Checks: numeric, at least one dimension, N >= 1, ``mask`` the same shape and boolean, every row
    with at least one valid entry, every valid entry finite. ``finite=False`` skips only the last
    check, for callers that sort the rows anyway and check the extremes (see ``sorted_rows_finite``).
    """
    try:
        r = np.asarray(rewards, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be numeric (an array of floats shaped (..., N)); got {type(rewards).__name__}: {exc}"
        ) from None
    if r.ndim == 0:
        raise ValueError(
            f"{name} is a scalar; pass an array shaped (..., N) with the N candidates' rewards on the last axis"
        )
    if r.shape[-1] == 0:
        raise ValueError(
            f"{name} has N = 0 candidates (shape {r.shape}); every row needs at least one candidate"
        )
    if mask is None:
        m = np.ones(r.shape, dtype=bool)
    else:
        m_raw = np.asarray(mask)
        if m_raw.dtype != np.bool_:
            raise ValueError(
                f"mask must be a boolean array (True = real candidate); got dtype {m_raw.dtype}. "
                "Convert it explicitly, e.g. mask.astype(bool), if that is what you mean"
            )
        if m_raw.shape != r.shape:
            raise ValueError(
                f"mask has shape {m_raw.shape} but {name} has shape {r.shape}; they must match exactly"
            )
        m = m_raw
        empty = ~m.any(axis=-1)
        if empty.any():
            row = tuple(int(i) for i in np.argwhere(empty)[0])
            raise ValueError(
                f"mask has no valid entry in {_row_label(row)} ({int(empty.sum())} such rows); "
                "drop prompts with no candidates before selecting"
            )
    if not finite:
        return r, m
    is_finite = np.isfinite(r)
    if mask is None and is_finite.all():
        return r, m
    bad = m & ~is_finite
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        value = r[where]
        raise ValueError(
            f"{name} contains a non-finite value ({value}) at {_row_label(where[:-1])}, candidate {where[-1]} "
            f"({int(bad.sum())} such entries); score those candidates again, drop them, or mask them out"
        )
    return r, m


def check_positive(value: Any, name: str, batch_shape: tuple[int, ...]) -> FloatArray:
    """Check a strictly positive, finite parameter (``beta``, ``tau``): a scalar or an array that
    broadcasts against the batch shape. Returned with a trailing axis, ready to divide ``(..., N)``."""
    try:
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number; got {value!r}") from None
    if not np.all(np.isfinite(v)) or np.any(v <= 0):
        raise ValueError(
            f"{name} must be a finite number > 0; got {value!r}. "
            f"(As {name} -> 0 the rule approaches Best-of-N; use method 'bon' for that limit.)"
        )
    try:
        return np.broadcast_to(v, batch_shape)[..., None]
    except ValueError:
        raise ValueError(
            f"{name} has shape {v.shape}, which does not broadcast against the batch shape {batch_shape} "
            "(the rewards' shape without the last axis); pass a scalar or one value per row"
        ) from None


def check_count(value: Any, name: str, lower: int, upper: NDArray[np.int64] | int) -> int:
    """Check an integer parameter in ``[lower, upper]`` (``upper`` may vary by row)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer; got {value!r}")
    v = int(value)
    hi = int(np.min(upper))
    if v < lower or v > hi:
        raise ValueError(
            f"{name}={v} is outside [{lower}, {hi}]: it must be at least {lower} and at most the number "
            "of valid candidates in every row"
        )
    return v


def sorted_rows_finite(ascending: FloatArray) -> bool:
    """Whether rows sorted ascending hold only finite values: numpy sorts NaN last and -inf first,
    so checking the two ends of each row is enough (O(rows) instead of O(rows * N))."""
    return bool(np.isfinite(ascending[..., 0]).all() and np.isfinite(ascending[..., -1]).all())
