"""The empirical normalizer of the chi-squared regularized policy (DESIGN.md section 2).

On N rewards ``r_1..r_N`` and a regularization strength ``beta > 0``, ``lam_hat`` is the unique root of

    (1/N) * sum_i relu((r_i - lam) / beta) = 1.

Sort descending, ``r_(1) >= ... >= r_(N)``, with prefix sums ``S_k = r_(1) + ... + r_(k)``. With k active
candidates the root is ``lam_k = (S_k - N*beta) / k``; the active count K is the largest k with
``r_(k) > lam_k`` (the condition holds for every k up to K and fails after: the weights are the
sparsemax of ``r / (N*beta)``). So ``lam_hat = lam_K``: one sort, one prefix sum, one comparison,
O(N log N) per row and fully vectorized over rows.

Rewards are shifted by their row maximum before summing, which keeps the prefix sums exact enough for
rewards far from zero (the answer is shift-equivariant, so nothing changes mathematically).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validate import BoolArray, FloatArray, check_positive, check_rewards


def _chi2_lambda_checked(r: FloatArray, m: BoolArray, beta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Core of :func:`chi2_lambda` on already-validated input.

    ``beta`` carries a trailing axis. Returns ``(lam, n_valid)``, both shaped ``(..., 1)``.
    """
    n_valid = m.sum(axis=-1, keepdims=True).astype(np.float64)
    top = np.max(np.where(m, r, -np.inf), axis=-1, keepdims=True)
    shifted = np.where(m, r - top, -np.inf)
    descending = np.sort(shifted, axis=-1)[..., ::-1]
    prefix = np.cumsum(descending, axis=-1)
    k = np.arange(1, r.shape[-1] + 1, dtype=np.float64)
    lam_k = (prefix - n_valid * beta) / k
    active = np.count_nonzero(descending > lam_k, axis=-1)[..., None]
    lam = np.take_along_axis(lam_k, active - 1, axis=-1) + top
    return lam, n_valid


def chi2_lambda(rewards: ArrayLike, beta: ArrayLike, mask: ArrayLike | None = None) -> FloatArray:
    """Exact ``lam_hat`` per row: the root of ``(1/N) sum_i relu((r_i - lam)/beta) = 1``.

    Args:
        rewards: shape ``(..., N)``; the N candidates' proxy rewards on the last axis.
        beta: regularization strength, > 0; a scalar or one value per row.
        mask: optional boolean array like ``rewards``; ``False`` slots are ignored and N counts only
            the valid entries of each row.

    Returns:
        ``lam_hat`` with shape ``rewards.shape[:-1]`` (a float for a 1-D input). It always lies in
        ``[min r - beta, max r)``: ``beta -> 0`` leaves only the top candidate active (Best-of-N),
        ``beta -> inf`` gives ``mean(r) - beta`` (uniform weights).
    """
    r, m = check_rewards(rewards, mask)
    b = check_positive(beta, "beta", r.shape[:-1])
    lam, _ = _chi2_lambda_checked(r, m, b)
    return lam[..., 0][()]
