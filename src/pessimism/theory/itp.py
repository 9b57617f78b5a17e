"""InferenceTimePessimism at finite N on a finite response space: the pool form and Algorithm 1.

**Pool form** (DESIGN.md section 3): draw N responses, return candidate i with probability
``relu((r_i - lam_hat)/beta) / N`` (:func:`pessimism.select.itp`). A pool with count vector ``c`` puts
weight ``c_y / N`` on response y, so its normalizer is the chi-squared normalizer with weights ``c / N``
and the probability of returning response y is ``chi2_policy(c/N, r_hat, beta)[y]`` (that equality with
:func:`pessimism.select.itp` on the expanded pool is a tested property). This costs O(K log K) per pool
whatever N is, which is what makes N = 2^16 affordable. The law is averaged over pools exactly or by
Monte Carlo (:mod:`pessimism.theory.pools` states the limit).

**Algorithm 1** (:class:`pessimism.select.ITPAlgorithm1`): phase 1 computes ``lam_hat`` on N draws; phase 2
draws fresh responses, accepting y with ``a(y) = min(1, w(y)/M)``, ``w(y) = relu((r_hat(y) - lam_hat)/beta)``,
``M = (R_max - lam_hat)/beta``, for at most N draws; if none is accepted one more fresh draw is returned.
Given ``lam_hat``, with ``A = sum_y pi_ref(y) a(y)`` the acceptance probability of one draw:

    P(y) = sum_{t=1..N} (1-A)^(t-1) pi_ref(y) a(y) + (1-A)^N pi_ref(y),
    E[phase-2 draws] = sum_{t=1..N} (1-A)^(t-1) = (1 - (1-A)^N) / A,     E[fallback draws] = (1-A)^N,

(computed with ``expm1``/``log1p``), and these are averaged over the phase-1 pools. The expected total
consumption is ``N + E[phase-2 draws] + E[fallback draws]``: below ``2N + 1`` and about ``N + M`` when
``M < N``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import FloatArray, check_beta, check_n, check_pi_ref, check_rewards
from .policies import _chi2_lambda_rows, _chi2_policy_rows
from .pools import DEFAULT_REPLICATES, MAX_MULTISETS, Estimate, average_over_pools


def _expand(estimate: Estimate, support: np.ndarray) -> Estimate:
    """Map an estimate over the support back to all K responses (zeros off the support)."""
    probs = np.zeros(support.shape[0])
    probs[support] = estimate.probs
    se = np.zeros(support.shape[0])
    se[support] = estimate.probs_stderr
    return Estimate(
        probs=probs,
        probs_stderr=se,
        value=estimate.value,
        value_stderr=estimate.value_stderr,
        exact=estimate.exact,
        pools=estimate.pools,
        expected_draws=estimate.expected_draws,
        expected_draws_stderr=estimate.expected_draws_stderr,
    )


def _inputs(
    pi_ref: ArrayLike, r_hat: ArrayLike, beta: float, n: int, r_star: ArrayLike | None
) -> tuple[FloatArray, FloatArray, float, int, FloatArray | None, np.ndarray]:
    p = check_pi_ref(pi_ref)
    r = check_rewards(r_hat, "r_hat", p.shape[0])
    b = check_beta(beta)
    nn = check_n(n)
    rs = None if r_star is None else check_rewards(r_star, "r_star", p.shape[0])
    return p, r, b, nn, rs, p > 0


def itp_pool_law(
    pi_ref: ArrayLike,
    r_hat: ArrayLike,
    beta: float,
    n: int,
    *,
    r_star: ArrayLike | None = None,
    max_multisets: int = MAX_MULTISETS,
    replicates: int = DEFAULT_REPLICATES,
    rng: np.random.Generator | int | None = None,
) -> Estimate:
    """Law of the response returned by ITP's pool form with N samples (and its true reward if
    ``r_star`` is given): exact by enumeration up to ``max_multisets`` pools, else Monte Carlo over
    ``replicates`` pools seeded by ``rng`` (a Generator, a seed, or ``None`` for seed 0)."""
    p, r, b, nn, rs, support = _inputs(pi_ref, r_hat, beta, n, r_star)
    ps, r_s = p[support], r[support]

    def per_pool(counts: np.ndarray) -> tuple[FloatArray, None]:
        return _chi2_policy_rows(counts / nn, r_s, b), None

    est = average_over_pools(
        ps, nn, per_pool, r_star=None if rs is None else rs[support],
        max_multisets=max_multisets, replicates=replicates, rng=rng,
    )
    return _expand(est, support)


def algorithm1_law(
    pi_ref: ArrayLike,
    r_hat: ArrayLike,
    beta: float,
    n: int,
    *,
    r_star: ArrayLike | None = None,
    r_max: float | None = None,
    max_multisets: int = MAX_MULTISETS,
    replicates: int = DEFAULT_REPLICATES,
    rng: np.random.Generator | int | None = None,
) -> Estimate:
    """Law of the response returned by ITP Algorithm 1 with N samples, and the expected number of
    samples it consumes (``expected_draws``: phase 1 + phase 2 + fallback).

    ``r_max`` is the upper bound on ``r_hat`` that sets the envelope ``M = (r_max - lam_hat)/beta``; it
    defaults to the largest ``r_hat`` in the support of ``pi_ref`` (the tightest valid bound, the fewest
    rejections). The average over phase-1 pools is exact or Monte Carlo as in :func:`itp_pool_law`.
    """
    p, r, b, nn, rs, support = _inputs(pi_ref, r_hat, beta, n, r_star)
    ps, r_s = p[support], r[support]
    top = float(np.max(r_s))
    if r_max is None:
        bound = top
    else:
        try:
            bound = float(r_max)
        except (TypeError, ValueError):
            raise ValueError(f"r_max must be a number; got {r_max!r}") from None
        if not np.isfinite(bound) or bound < top:
            raise ValueError(
                f"r_max={r_max!r} must be finite and >= the largest r_hat in the support of pi_ref ({top}); "
                "it bounds the reward model, so pass a larger one"
            )

    def per_pool(counts: np.ndarray) -> tuple[FloatArray, FloatArray]:
        lam = _chi2_lambda_rows(counts / nn, r_s, b)  # (m, 1)
        envelope = (bound - lam) / b
        accept = np.minimum(1.0, np.maximum((r_s - lam) / b, 0.0) / envelope)
        total = accept @ ps  # A, per pool
        with np.errstate(divide="ignore"):
            log_miss = nn * np.log1p(-np.minimum(total, 1.0))
        miss = np.exp(log_miss)  # (1 - A)^N: the fallback probability
        steps = np.where(total > 0, -np.expm1(log_miss) / np.where(total > 0, total, 1.0), float(nn))
        law = ps * accept * steps[:, None] + miss[:, None] * ps
        return law, nn + steps + miss

    est = average_over_pools(
        ps, nn, per_pool, r_star=None if rs is None else rs[support],
        max_multisets=max_multisets, replicates=replicates, rng=rng,
    )
    return _expand(est, support)
