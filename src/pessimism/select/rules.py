"""Selection rules over N scored candidates (DESIGN.md section 3).

Every rule maps proxy rewards shaped ``(..., N)`` (plus an optional boolean ``mask`` for ragged pools)
to a probability distribution over the N candidates along the last axis. Masked slots always get
probability 0 and N always means the number of valid candidates in the row.

The pool-form rules return rows that sum to 1. The two *sequential* rules (an in-order scan with
rejection) can end with no candidate accepted; they return that fallback mass separately in a
:class:`SequentialSelection` and never renormalize it away, because in the paper's algorithm the fallback
is a fresh sample from the reference policy, not one of the N candidates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._validate import BoolArray, FloatArray, check_count, check_positive, check_rewards
from .normalizer import _normalize


def _normalize_rows(weights: FloatArray) -> FloatArray:
    return weights / weights.sum(axis=-1, keepdims=True)


def _bon_checked(r: FloatArray, m: BoolArray) -> FloatArray:
    top = np.max(np.where(m, r, -np.inf), axis=-1, keepdims=True)
    return _normalize_rows((m & (r == top)).astype(np.float64))


def bon(rewards: ArrayLike, mask: ArrayLike | None = None) -> FloatArray:
    """Best-of-N: all mass on the highest proxy reward; exact ties share it uniformly.

    ``p_i = 1[r_i = max_j r_j] / #{j : r_j = max r}``.
    """
    r, m = check_rewards(rewards, mask)
    return _bon_checked(r, m)


def uniform(rewards: ArrayLike, mask: ArrayLike | None = None) -> FloatArray:
    """The reference policy itself (N = 1 in effect): ``p_i = 1/N`` on the valid candidates."""
    _, m = check_rewards(rewards, mask)
    return _normalize_rows(m.astype(np.float64))


def topk(rewards: ArrayLike, k: int, mask: ArrayLike | None = None) -> FloatArray:
    """Uniform over the k best candidates (regularized Best-of-N, monotone in N for k = ceil(N/m)).

    Ties at the boundary share the remaining mass fairly: with threshold ``t`` the k-th largest
    reward, the ``g`` candidates strictly above ``t`` get ``1/k`` each and the ``e`` candidates equal to
    ``t`` split ``(k - g)/k`` equally, so the result does not depend on the order of tied candidates.
    ``k = 1`` is Best-of-N; ``k = N`` is uniform.
    """
    r, m = check_rewards(rewards, mask)
    kk = check_count(k, "k", 1, m.sum(axis=-1))
    descending = np.sort(np.where(m, r, -np.inf), axis=-1)[..., ::-1]
    threshold = descending[..., kk - 1 : kk]
    above = m & (r > threshold)
    at = m & (r == threshold)
    n_above = above.sum(axis=-1, keepdims=True)
    n_at = at.sum(axis=-1, keepdims=True)
    return above / kk + at * ((kk - n_above) / (kk * n_at))


def soft_bon(rewards: ArrayLike, beta: ArrayLike, mask: ArrayLike | None = None) -> FloatArray:
    """Soft Best-of-N, the KL-regularized analogue: ``p_i ∝ exp(r_i / beta)``.

    Computed in log space as ``exp((r_i - max r) / beta)``, which never overflows: exponents are <= 0
    and the top candidate's is exactly 0, whatever the scale of rewards and beta.
    """
    r, m = check_rewards(rewards, mask)
    b = check_positive(beta, "beta", r.shape[:-1])
    top = np.max(np.where(m, r, -np.inf), axis=-1, keepdims=True)
    with np.errstate(over="ignore", under="ignore"):
        logits = np.where(m, (r - top) / b, -np.inf)
        return _normalize_rows(np.exp(logits))


def _itp_weights(
    r: FloatArray, m: BoolArray | None, b: FloatArray, scale: FloatArray | float = 1.0
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ITP weights ``scale * relu((r_i - lam_hat)/beta)`` (0 when masked), ``lam`` and N.

    Computed in place on the normalizer's shifted buffer: this is the hot path of the lab's sweeps.
    """
    norm = _normalize(r, m, b)
    w = norm.shifted
    np.subtract(w, norm.lam_shifted, out=w)
    np.maximum(w, 0.0, out=w)  # masked slots: -inf -> 0
    np.multiply(w, scale / b, out=w)
    return w, norm.lam, norm.n_valid


def itp(rewards: ArrayLike, beta: ArrayLike, mask: ArrayLike | None = None) -> FloatArray:
    """InferenceTimePessimism, pool form: ``p_i = relu((r_i - lam_hat)/beta) / N``.

    ``lam_hat`` is :func:`~pessimism.chi2_lambda`, so the weights sum to exactly N and no rejection is
    needed: this is the chi-squared regularized policy restricted to the N samples (the sparsemax of
    ``r / (N beta)``). ``beta -> 0`` is Best-of-N, ``beta -> inf`` is uniform; shifting all rewards by a
    constant changes nothing, and scaling rewards by ``c`` equals scaling beta by ``c``.
    """
    r, m = check_rewards(rewards, mask, finite=mask is not None)
    b = check_positive(beta, "beta", r.shape[:-1])
    n_valid = m.sum(axis=-1, keepdims=True) if mask is not None else r.shape[-1]
    w, _, _ = _itp_weights(r, None if mask is None else m, b, scale=1.0 / n_valid)
    return w


@dataclass(frozen=True)
class SequentialSelection:
    """Outcome law of an in-order accept/reject scan over the N candidates.

    Attributes:
        probs: ``(..., N)`` probability that candidate i is the first accepted.
        fallback: ``(...)`` probability that none is accepted (the caller then draws a fresh sample
            from the reference policy). ``probs.sum(-1) + fallback == 1``.
        accept: ``(..., N)`` per-candidate acceptance probabilities used by the scan.
    """

    probs: FloatArray
    fallback: FloatArray
    accept: FloatArray


def _scan(accept: FloatArray) -> SequentialSelection:
    """``p_i = a_i * prod_{j<i} (1 - a_j)`` and fallback ``prod_j (1 - a_j)``."""
    survive = np.cumprod(1.0 - accept, axis=-1)
    before = np.concatenate([np.ones_like(survive[..., :1]), survive[..., :-1]], axis=-1)
    return SequentialSelection(
        probs=accept * before, fallback=survive[..., -1][()], accept=accept
    )


def _check_upper_bound(r: FloatArray, m: BoolArray, r_max: ArrayLike) -> FloatArray:
    try:
        bound = np.broadcast_to(np.asarray(r_max, dtype=np.float64), r.shape[:-1])[..., None]
    except ValueError:
        raise ValueError(
            f"r_max has shape {np.shape(r_max)}, which does not broadcast against the batch shape "
            f"{r.shape[:-1]}; pass a scalar or one bound per row"
        ) from None
    if not np.all(np.isfinite(bound)):
        raise ValueError(f"r_max must be finite; got {r_max!r}")
    over = m & (r > bound)
    if over.any():
        where = tuple(int(i) for i in np.argwhere(over)[0])
        raise ValueError(
            f"r_max={float(bound[where[:-1]][0])} is below an observed reward {r[where]} (row {where[:-1]}, "
            f"candidate {where[-1]}); r_max must upper-bound the reward model, pass a larger one"
        )
    return bound


def itp_sequential(
    rewards: ArrayLike,
    beta: ArrayLike,
    *,
    r_max: ArrayLike | None = None,
    M: ArrayLike | Literal["max"] | None = None,
    mask: ArrayLike | None = None,
) -> SequentialSelection:
    """Sequential pool scan: accept candidate i in order with probability ``min(1, w_i / M)``.

    ``w_i = relu((r_i - lam_hat)/beta)`` as in :func:`itp`. The envelope ``M`` is, exactly one of:

    * ``r_max`` given: ``M = (r_max - lam_hat)/beta``, the paper's Algorithm 1 envelope (r_max must
      bound every reward);
    * ``M="max"``: ``M = max_i w_i``, the greedier choice some reproductions use (the top candidate
      is then always accepted if reached, so the fallback mass is 0);
    * ``M`` a positive number (or one per row).

    Selection probability ``p_i = a_i prod_{j<i}(1 - a_j)`` with ``a_i = min(1, w_i/M)``; the remaining
    mass is returned as ``fallback``, never renormalized.
    """
    r, m = check_rewards(rewards, mask)
    b = check_positive(beta, "beta", r.shape[:-1])
    if (r_max is None) == (M is None):
        raise ValueError(
            "itp_sequential needs exactly one of r_max (an upper bound on rewards: M = (r_max - lam)/beta) "
            "or M (a positive envelope, or 'max' for M = max_i w_i)"
        )
    w, lam, _ = _itp_weights(r, m, b)
    if r_max is not None:
        envelope = (_check_upper_bound(r, m, r_max) - lam) / b
    elif isinstance(M, str):
        if M != "max":
            raise ValueError(f"M must be a positive number or 'max'; got {M!r}")
        envelope = np.max(w, axis=-1, keepdims=True)
    else:
        envelope = check_positive(M, "M", r.shape[:-1])
    accept = np.where(m, np.minimum(1.0, w / envelope), 0.0)
    return _scan(accept)


def kl_rejection(
    rewards: ArrayLike,
    tau: ArrayLike,
    *,
    r_max: ArrayLike | None = None,
    mask: ArrayLike | None = None,
) -> SequentialSelection:
    """KL rejection sampling: accept candidate i in order with probability ``exp((r_i - r_max)/tau)``.

    Its accepted samples follow the exponential tilt ``pi_ref * exp(r/tau)`` (the KL-regularized
    policy). ``r_max`` defaults to the row's largest reward, which is then always accepted when
    reached; a known global bound gives the textbook sampler with a genuine fallback mass.
    """
    r, m = check_rewards(rewards, mask)
    t = check_positive(tau, "tau", r.shape[:-1])
    if r_max is None:
        bound = np.max(np.where(m, r, -np.inf), axis=-1, keepdims=True)
    else:
        bound = _check_upper_bound(r, m, r_max)
    with np.errstate(under="ignore"):
        accept = np.where(m, np.exp(np.minimum((r - bound) / t, 0.0)), 0.0)
    return _scan(accept)
