"""Averaging over the N-sample pool: exact enumeration of multisets, or seeded Monte Carlo.

Both ITP forms at finite N are functions of the *pool* of N i.i.d. draws from ``pi_ref``, and a pool
matters only through its count vector ``c`` over the K responses (its order is irrelevant to the
selection), whose law is multinomial:

    P(c) = N! / prod_y c_y!  *  prod_y pi_ref(y)^c_y.

**Exact** when the number of multisets ``C(N + K - 1, K - 1)`` is at most ``max_multisets``
(default :data:`MAX_MULTISETS` = 200,000, e.g. N <= 44 for K = 5, N <= 631 for K = 3, any N <= 199,999
for K = 2): every count vector is enumerated with its multinomial probability (computed in log space
from a table of ``lgamma``; the probabilities are renormalized to sum to exactly 1, a correction of the
order of 1e-13). **Monte Carlo** otherwise: ``replicates`` count vectors drawn with
``numpy.random.Generator.multinomial`` (vectorized, seeded). The per-pool quantity is averaged exactly
within each pool (a Rao-Blackwellized estimator), and the standard error across pools is reported.
Only responses in the support of ``pi_ref`` take part (the others are never drawn).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, combinations

import numpy as np

from ._checks import FloatArray

#: The largest number of multisets enumerated exactly before falling back to Monte Carlo.
MAX_MULTISETS = 200_000
#: Default Monte Carlo sample size (pools) when enumeration is too large.
DEFAULT_REPLICATES = 4000


@dataclass(frozen=True)
class Estimate:
    """A law over the K responses computed exactly or by Monte Carlo, with what it implies.

    Attributes:
        probs: probability of returning each response (sums to 1).
        probs_stderr: Monte Carlo standard error of each entry (zeros when exact).
        value: expected true reward under ``probs`` (``None`` when no ``r_star`` was given).
        value_stderr: its standard error (0 when exact).
        exact: True when every pool was enumerated.
        pools: multisets enumerated (exact) or pools drawn (Monte Carlo).
        expected_draws: expected number of samples consumed in all (Algorithm 1 only; the pool form
            always consumes N).
        expected_draws_stderr: its standard error.
    """

    probs: FloatArray
    probs_stderr: FloatArray
    value: float | None
    value_stderr: float
    exact: bool
    pools: int
    expected_draws: float | None = None
    expected_draws_stderr: float = 0.0

    @property
    def method(self) -> str:
        return "exact enumeration" if self.exact else "Monte Carlo"


def multiset_count(n: int, k: int) -> int:
    """Number of count vectors of N draws over K responses: ``C(N + K - 1, K - 1)``."""
    return math.comb(n + k - 1, k - 1)


def enumerate_counts(n: int, k: int) -> np.ndarray:
    """Every count vector of N draws over K responses, shape ``(C(N+K-1, K-1), K)`` (stars and bars)."""
    if k == 1:
        return np.array([[n]], dtype=np.int64)
    m = multiset_count(n, k)
    bars = np.fromiter(
        chain.from_iterable(combinations(range(n + k - 1), k - 1)), dtype=np.int64, count=m * (k - 1)
    ).reshape(m, k - 1)
    edges = np.concatenate(
        [np.full((m, 1), -1, dtype=np.int64), bars, np.full((m, 1), n + k - 1, dtype=np.int64)], axis=1
    )
    return np.diff(edges, axis=1) - 1


def multinomial_probs(counts: np.ndarray, p: FloatArray) -> FloatArray:
    """``N! / prod c! * prod p^c`` for each row of ``counts`` (``p > 0``), renormalized to sum 1."""
    n = int(counts[0].sum())
    log_fact = np.array([math.lgamma(i + 1.0) for i in range(n + 1)])
    log_w = log_fact[n] - log_fact[counts].sum(axis=1) + counts @ np.log(p)
    w = np.exp(log_w - log_w.max())
    return w / w.sum()


def resolve_rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    """A Generator from a Generator, an integer seed, or ``None`` (seed 0: results are reproducible)."""
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise ValueError(f"rng must be a numpy.random.Generator, an integer seed or None; got {type(rng).__name__}")


def average_over_pools(
    p: FloatArray,
    n: int,
    per_pool: Callable[[np.ndarray], tuple[FloatArray, FloatArray | None]],
    *,
    r_star: FloatArray | None,
    max_multisets: int,
    replicates: int,
    rng: np.random.Generator | int | None,
    chunk: int = 50_000,
) -> Estimate:
    """Average ``per_pool(counts) -> (laws (m, K), extra (m,) or None)`` over pools of N draws.

    ``p`` is the support-restricted ``pi_ref`` (all entries > 0). Exact when the multisets number at most
    ``max_multisets``, otherwise Monte Carlo with ``replicates`` pools. ``extra`` is a per-pool scalar
    averaged alongside (Algorithm 1's expected draws).
    """
    if isinstance(max_multisets, bool) or not isinstance(max_multisets, (int, np.integer)) or max_multisets < 1:
        raise ValueError(f"max_multisets must be an integer >= 1; got {max_multisets!r}")
    if isinstance(replicates, bool) or not isinstance(replicates, (int, np.integer)) or replicates < 2:
        raise ValueError(f"replicates must be an integer >= 2 (a standard error needs two); got {replicates!r}")
    k = p.shape[0]
    exact = multiset_count(n, k) <= max_multisets
    if exact:
        counts = enumerate_counts(n, k)
        weights = multinomial_probs(counts, p)
    else:
        counts = resolve_rng(rng).multinomial(n, p, size=int(replicates))
        weights = np.full(counts.shape[0], 1.0 / counts.shape[0])
    laws, extras = [], []
    for start in range(0, counts.shape[0], chunk):
        law, extra = per_pool(counts[start : start + chunk])
        laws.append(law)
        extras.append(extra)
    law_all = np.concatenate(laws)
    extra_all = None if extras[0] is None else np.concatenate(extras)
    probs = weights @ law_all
    values = None if r_star is None else law_all @ r_star
    if exact:
        se_probs = np.zeros_like(probs)
        value = None if values is None else float(weights @ values)
        return Estimate(
            probs=probs,
            probs_stderr=se_probs,
            value=value,
            value_stderr=0.0,
            exact=True,
            pools=int(counts.shape[0]),
            expected_draws=None if extra_all is None else float(weights @ extra_all),
        )
    m = counts.shape[0]
    root = math.sqrt(m)
    return Estimate(
        probs=probs,
        probs_stderr=law_all.std(axis=0, ddof=1) / root,
        value=None if values is None else float(values.mean()),
        value_stderr=0.0 if values is None else float(values.std(ddof=1) / root),
        exact=False,
        pools=int(m),
        expected_draws=None if extra_all is None else float(extra_all.mean()),
        expected_draws_stderr=0.0 if extra_all is None else float(extra_all.std(ddof=1) / root),
    )
