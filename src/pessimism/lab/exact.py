"""Exact expected true reward of rank-based rules on a pool, from order statistics.

Setting: a prompt's pool of M responses sorted by proxy reward (ascending rank ``1..M``); the rule sees
N candidates drawn uniformly from the pool, with replacement (or without, N <= M). Let ``B_r`` be the
number of the N candidates whose rank is ``<= r``: ``Binomial(N, r/M)`` with replacement,
``Hypergeometric(M, r, N)`` without.

**Top-k uniform** (``k = 1`` is Best-of-N, ``k = N`` is uniform). The rule puts mass ``1/k`` on each of
the k best candidate slots. The slots of the top k that hold a rank ``<= r`` number
``(B_r - (N - k))_+`` (the ``N - B_r`` candidates above rank r fill the top first), so the expected
selection mass on ranks ``<= r`` is the *cumulative law*

    S(r) = E[(B_r - (N - k))_+] / k,       S(0) = 0, S(M) = 1.

For Best-of-N this is ``P(B_r = N) = (r/M)^N`` (with replacement) or ``C(r, N) / C(M, N)`` (without);
for uniform it is ``r/M``.

**Ties.** Proxy ties are split uniformly by the rules, and given which tie group a selected slot
falls in, its response is uniform over the group (the draws are exchangeable within it). So a tie
group spanning ranks ``(lo, hi]`` receives mass ``S(hi) - S(lo)`` and contributes the *mean* true
reward of its members:

    E[true reward] = sum over tie groups g of (S(hi_g) - S(lo_g)) * mean_truth(g).

**Best-of-Poisson**: ``N' = 1 + Poisson(mu)`` candidates, then BoN. Mixing ``(r/M)^{N'}`` over the
Poisson law gives ``S(r) = q exp(-mu (1 - q))`` with ``q = r/M`` (with replacement only; ``N'`` is
unbounded).

**Oracle pass@N**: Best-of-N on the *true* reward: ``E[max truth of N draws]``; for a 0/1 truth this is
``1 - (1 - c)^N`` with ``c`` the prompt's correct fraction (``1 - C(M - cM, N)/C(M, N)`` without
replacement).

S depends only on ``(M, N, k)``, not on the rewards, so it is computed once per distinct pool size and
shared by every prompt; what is per prompt is one gather and one dot product.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .pool import FloatArray
from .prepared import IntArray, Prepared


@lru_cache(maxsize=8)
def _log_factorials(n: int) -> FloatArray:
    """``log(k!)`` for ``k = 0..n``."""
    out = np.zeros(n + 1)
    out[1:] = np.cumsum(np.log(np.arange(1, n + 1, dtype=np.float64)))
    return out


def _log_choose(lf: FloatArray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log C(a, b)`` elementwise, ``-inf`` where ``b < 0`` or ``b > a``."""
    a = np.asarray(a)
    b = np.asarray(b)
    ok = (b >= 0) & (b <= a)
    sa = np.where(ok, a, 0)
    sb = np.where(ok, b, 0)
    return np.where(ok, lf[sa] - lf[sb] - lf[sa - sb], -np.inf)


def count_law(m: int, n: int, replace: bool) -> FloatArray:
    """``P(B_r = b)`` for ``r = 0..m`` (rows) and ``b = 0..n`` (columns): the number of N draws from a
    pool of m that land on the r lowest ranks (binomial with replacement, hypergeometric without)."""
    lf = _log_factorials(max(m, n))
    r = np.arange(m + 1)[:, None]
    b = np.arange(n + 1)[None, :]
    if replace:
        q = r / m
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = _log_choose(lf, np.full_like(b, n), b) + np.where(b > 0, b * np.log(q), 0.0) + np.where(
                n - b > 0, (n - b) * np.log1p(-q), 0.0
            )
        return np.exp(logp)
    if n > m:
        raise ValueError(f"without replacement N={n} cannot exceed the pool size {m}")
    logp = _log_choose(lf, r, b) + _log_choose(lf, m - r, n - b) - _log_choose(lf, np.array(m), np.array(n))
    return np.exp(logp)


def topk_law(m: int, n: int, k: int, replace: bool) -> FloatArray:
    """Cumulative selection law ``S(r), r = 0..m`` of top-k uniform over N draws (see module doc)."""
    if not 1 <= k <= n:
        raise ValueError(f"k must be in [1, N={n}]; got {k}")
    q = np.arange(m + 1) / m
    if k == n:
        return q  # uniform: E[B_r]/N = r/M either way
    if k == 1:
        if replace:
            return q**n
        lf = _log_factorials(m)
        return np.exp(_log_choose(lf, np.arange(m + 1), np.full(m + 1, n)) - _log_choose(lf, np.array(m), np.array(n)))
    excess = np.maximum(np.arange(n + 1) - (n - k), 0) / k
    return count_law(m, n, replace) @ excess


def poisson_bon_law(m: int, mu: float) -> FloatArray:
    """``S(r) = E[q^{1 + Poisson(mu)}] = q exp(-mu (1 - q))``, ``q = r/M``: Best-of-Poisson."""
    q = np.arange(m + 1) / m
    return q * np.exp(-mu * (1.0 - q))


def expected_from_law(
    laws: dict[int, FloatArray], sizes: IntArray, lo: IntArray, hi: IntArray, values: FloatArray
) -> FloatArray:
    """Per prompt ``sum over tie groups (S(hi) - S(lo)) * mean(values in group)``.

    ``laws`` maps each pool size M to its ``S`` (length M + 1); ``lo``/``hi`` are the slots' tie bounds.
    Every slot of a group carries ``(S(hi) - S(lo)) / (hi - lo)``, so summing over slots gives the
    group's mass times its mean.
    """
    out = np.empty(len(sizes))
    for m, law in laws.items():
        rows = np.flatnonzero(sizes == m)
        l, h, v = lo[rows, :m], hi[rows, :m], values[rows, :m]
        out[rows] = ((law[h] - law[l]) / (h - l) * v).sum(axis=1)
    return out


def _laws(prep: Prepared, build) -> dict[int, FloatArray]:  # type: ignore[no-untyped-def]
    return {int(m): build(int(m)) for m in np.unique(prep.sizes)}


def topk_value(prep: Prepared, n: int, k: int, replace: bool = True) -> FloatArray:
    """Exact expected true reward per prompt of top-k uniform over N draws (k=1: BoN; k=N: uniform)."""
    laws = _laws(prep, lambda m: topk_law(m, n, k, replace))
    return expected_from_law(laws, prep.sizes, prep.lo, prep.hi, prep.truth)


def bon_value(prep: Prepared, n: int, replace: bool = True) -> FloatArray:
    """Exact expected true reward per prompt of Best-of-N."""
    return topk_value(prep, n, 1, replace)


def uniform_value(prep: Prepared) -> FloatArray:
    """The pool mean true reward per prompt (any N, with or without replacement)."""
    return prep.pool_mean.copy()


def poisson_value(prep: Prepared, mu: float) -> FloatArray:
    """Exact expected true reward per prompt of Best-of-Poisson with ``N' = 1 + Poisson(mu)``."""
    if not (math.isfinite(mu) and mu >= 0):
        raise ValueError(f"best_of_poisson needs mu >= 0; got {mu}")
    laws = _laws(prep, lambda m: poisson_bon_law(m, mu))
    return expected_from_law(laws, prep.sizes, prep.lo, prep.hi, prep.truth)


def oracle_value(prep: Prepared, n: int, replace: bool = True) -> FloatArray:
    """Exact oracle pass@N per prompt: the expected largest *true* reward among N draws."""
    laws = _laws(prep, lambda m: topk_law(m, n, 1, replace))
    return expected_from_law(laws, prep.sizes, prep.truth_lo, prep.truth_hi, prep.truth_asc)
