"""Input validation for the theory lab: finite instances given as arrays over K responses.

Every public function validates its inputs here and raises ``ValueError`` naming the argument, what was
wrong and how to fix it; nothing is renormalized, clipped or cast silently.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]

#: Tolerance on ``sum(pi_ref) == 1``: loose enough for probabilities typed with a few decimals that
#: are summed in floating point, tight enough to catch unnormalized weights.
SUM_TOL = 1e-9


def check_pi_ref(pi_ref: ArrayLike, name: str = "pi_ref") -> FloatArray:
    """A probability vector over K >= 1 responses: 1-D, finite, non-negative, summing to 1."""
    try:
        p = np.asarray(pi_ref, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of probabilities; got {type(pi_ref).__name__}") from None
    if p.ndim != 1 or p.shape[0] == 0:
        raise ValueError(
            f"{name} must be a 1-D array of K >= 1 probabilities (one per response); got shape {p.shape}"
        )
    if not np.all(np.isfinite(p)):
        i = int(np.argmax(~np.isfinite(p)))
        raise ValueError(f"{name}[{i}] is {p[i]}; every probability must be finite")
    if np.any(p < 0):
        i = int(np.argmax(p < 0))
        raise ValueError(f"{name}[{i}] = {p[i]} is negative; probabilities must be >= 0")
    total = float(p.sum())
    if abs(total - 1.0) > SUM_TOL:
        raise ValueError(
            f"{name} sums to {total!r}, not 1 (tolerance {SUM_TOL:g}); normalize it yourself "
            f"(e.g. {name} / {name}.sum()) if these are unnormalized weights"
        )
    return p


def check_rewards(values: ArrayLike, name: str, k: int) -> FloatArray:
    """A finite reward per response: 1-D of length ``k`` (the length of ``pi_ref``)."""
    try:
        r = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers; got {type(values).__name__}") from None
    if r.shape != (k,):
        raise ValueError(
            f"{name} has shape {r.shape} but pi_ref has shape ({k},); give one reward per response"
        )
    if not np.all(np.isfinite(r)):
        i = int(np.argmax(~np.isfinite(r)))
        raise ValueError(f"{name}[{i}] is {r[i]}; rewards must be finite numbers")
    return r


def check_beta(beta: Any, name: str = "beta") -> float:
    """A finite regularization strength > 0 (a scalar)."""
    if isinstance(beta, (bool, np.bool_)):
        raise ValueError(f"{name} must be a number > 0; got {beta!r}")
    try:
        b = float(beta)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number > 0; got {beta!r}") from None
    if not (math.isfinite(b) and b > 0):
        raise ValueError(
            f"{name} must be a finite number > 0; got {beta!r} "
            f"(the {name} -> 0 limit is Best-of-N: use bon_value / bon_distribution for it)"
        )
    return b


def check_n(n: Any, name: str = "n") -> int:
    """A sample size: an integer >= 1. Integral floats such as ``1e6`` are accepted (they are exact);
    ``2.5`` is rejected rather than rounded."""
    if isinstance(n, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer >= 1; got {n!r}")
    if isinstance(n, (int, np.integer)):
        value = int(n)
    elif isinstance(n, (float, np.floating)) and math.isfinite(n) and float(n).is_integer():
        value = int(n)
    else:
        raise ValueError(f"{name} must be an integer >= 1 (a number of samples); got {n!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 (a number of samples); got {value}")
    return value


def check_policy(policy: ArrayLike, name: str, k: int) -> FloatArray:
    """A distribution over the same K responses as ``pi_ref``."""
    p = check_pi_ref(policy, name)
    if p.shape != (k,):
        raise ValueError(f"{name} has shape {p.shape} but pi_ref has shape ({k},); they must match")
    return p
