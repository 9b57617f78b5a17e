"""The empirical normalizer of the chi-squared regularized policy (DESIGN.md section 2).

On N rewards ``r_1..r_N`` and a regularization strength ``beta > 0``, ``lam_hat`` is the unique root of

    (1/N) * sum_i relu((r_i - lam) / beta) = 1.

Sort descending, ``r_(1) >= ... >= r_(N)``, with prefix sums ``S_k = r_(1) + ... + r_(k)``. With k active
candidates the root is ``lam_k = (S_k - N*beta) / k``; the active count K is the largest k with
``r_(k) > lam_k`` (the condition holds for every k up to K and fails after: the weights are the
sparsemax of ``r / (N*beta)``). So ``lam_hat = lam_K``: one sort, then K located with block sums
(see ``_lambda_from_sorted``), O(N log N) per row and fully vectorized over rows.

Rewards are shifted by their row maximum before sorting, which keeps the prefix sums and the weights
``r - lam`` accurate for rewards far from zero (the answer is shift-equivariant, so nothing changes
mathematically).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._validate import BoolArray, FloatArray, check_positive, check_rewards, sorted_rows_finite


@dataclass(frozen=True)
class _Normalized:
    """What the normalizer computes on the way, kept for the rules that need it.

    ``shifted = r - top`` (masked slots ``-inf``) and ``lam_shifted = lam_hat - top``: weights computed
    as ``shifted - lam_shifted`` are exact for the top candidates even when rewards are far from zero.
    """

    shifted: FloatArray  # (..., N)
    lam_shifted: FloatArray  # (..., 1)
    top: FloatArray  # (..., 1)
    n_valid: FloatArray  # (..., 1)

    @property
    def lam(self) -> FloatArray:
        return self.lam_shifted + self.top


_BLOCK = 64


def _lambda_from_sorted(ascending: FloatArray, n_valid: FloatArray, budget: FloatArray) -> FloatArray:
    """``lam_K = (S_K - N*beta) / K`` from rows sorted ascending (shape ``(rows, n)``).

    The active count K is the largest k <= N with ``r_(k) * k > S_k - N*beta`` (true at k = 1 and
    exactly for k <= K). Instead of a full prefix sum, the condition is first tested at block
    boundaries k = B, 2B, ... using block sums (one vectorized reduction), then inside the one
    block that holds K. Same answer as the textbook scan, about half the memory traffic.
    """
    rows, n = ascending.shape
    full_blocks = n // _BLOCK
    if not full_blocks:
        # short rows (the lab's small-N sweeps): the textbook scan over the whole row is cheapest;
        # masked slots sort to the bottom as -inf and never satisfy the condition
        descending = ascending[:, ::-1]
        prefix = np.cumsum(descending, axis=-1)
        k = np.arange(1, n + 1)
        active = np.count_nonzero(descending * k > prefix - budget, axis=-1)[:, None]
        return (np.take_along_axis(prefix, active - 1, axis=-1) - budget) / active
    row = np.arange(rows)[:, None]
    # block j (1-based, from the top) holds the j-th B largest: ascending[n - jB : n - (j-1)B]
    sums = ascending[:, n - full_blocks * _BLOCK :].reshape(rows, full_blocks, _BLOCK).sum(axis=-1)
    block_prefix = np.cumsum(sums[:, ::-1], axis=-1)  # S_{jB}
    k_edge = np.arange(1, full_blocks + 1) * _BLOCK
    edge_ok = (ascending[:, n - k_edge] * k_edge > block_prefix - budget) & (k_edge <= n_valid)
    blocks_done = edge_ok.sum(axis=-1, keepdims=True)  # boundaries passed: a prefix of them
    before = np.where(
        blocks_done > 0,
        np.take_along_axis(block_prefix, np.maximum(blocks_done - 1, 0), axis=-1),
        0.0,
    )
    start = blocks_done * _BLOCK  # K is in [start, start + B]; k = start + 1 ... start + B below
    position = start + np.arange(_BLOCK)  # 0-based descending positions
    inside = position < n_valid
    values = np.where(inside, ascending[row, n - 1 - np.minimum(position, n - 1)], 0.0)
    window_prefix = before + np.cumsum(values, axis=-1)
    k = position + 1
    active = start + (inside & (values * k > window_prefix - budget)).sum(axis=-1, keepdims=True)
    s_active = np.where(
        active > start,
        np.take_along_axis(window_prefix, np.maximum(active - start - 1, 0), axis=-1),
        before,
    )
    return (s_active - budget) / active


def _rows_ascending(rows: FloatArray) -> bool:
    """Whether every row is already sorted ascending (then the sort is skipped). Callers that draw
    subsamples from a reward-sorted pool, like the lab, pass sorted rows; for unsorted input the
    first row almost always settles it, so the check costs next to nothing."""
    first = rows[:1]
    if not (first[:, 1:] >= first[:, :-1]).all():
        return False
    return bool((rows[:, 1:] >= rows[:, :-1]).all())


def _normalize(r: FloatArray, m: BoolArray | None, beta: FloatArray) -> _Normalized:
    """Core of :func:`chi2_lambda` on validated input; ``m=None`` means no mask, in which case the
    finiteness of ``r`` is checked here on the sorted rows (O(rows) instead of a pass over the data).

    ``beta`` carries a trailing axis.
    """
    n = r.shape[-1]
    rows = r.reshape(-1, n)
    b = np.broadcast_to(beta, r.shape[:-1] + (1,)).reshape(-1, 1)
    with np.errstate(invalid="ignore"):  # inf - inf in a row that fails the finiteness check below
        if m is None:
            top = rows.max(axis=-1, keepdims=True)
            shifted = rows - top
            n_valid = np.full((rows.shape[0], 1), float(n))
        else:
            flat_mask = m.reshape(-1, n)
            top = np.max(np.where(flat_mask, rows, -np.inf), axis=-1, keepdims=True)
            shifted = np.where(flat_mask, rows - top, -np.inf)
            n_valid = flat_mask.sum(axis=-1, keepdims=True).astype(np.float64)
    ascending = shifted if _rows_ascending(shifted) else np.sort(shifted, axis=-1)
    if m is None and not sorted_rows_finite(ascending):
        check_rewards(r)  # raises, naming the first non-finite entry
    budget = n_valid * b  # N * beta, (rows, 1)
    lam_shifted = _lambda_from_sorted(ascending, n_valid, budget)
    batch = r.shape[:-1] + (1,)
    return _Normalized(
        shifted=shifted.reshape(r.shape),
        lam_shifted=lam_shifted.reshape(batch),
        top=top.reshape(batch),
        n_valid=n_valid.reshape(batch),
    )


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
    r, m = check_rewards(rewards, mask, finite=mask is not None)
    b = check_positive(beta, "beta", r.shape[:-1])
    return _normalize(r, None if mask is None else m, b).lam[..., 0][()]
