"""Evaluate (budget N, method, parameter) jobs on a prepared pool: exact where possible, else Monte Carlo.

Per job the result is one number per prompt (its expected true reward) plus, for Monte Carlo, the
variance of that number across replicates / R, and the expected compute (candidates generated per
prompt). Rows, statistics and plots are built from these elsewhere.

Which path each method takes:

================  ====================================================  =================
method            path                                                  parameter
================  ====================================================  =================
bon               exact (order statistics)                              -
uniform           exact (pool mean)                                     -
topk              exact (order statistics), k = ceil(N/m)               m
best_of_poisson   exact (Poisson mixture), N' = 1 + Poisson(N - 1)      -
oracle            exact (pass@N: BoN on the true reward)                -
majority_vote     exact by count vectors when feasible, else MC         -
itp, soft_bon     Monte Carlo; N = inf exact (the policy on the pool)   beta
itp_alg1          MC over phase 1, phases 2-3 exact given lam_hat       beta
weighted_majority_vote, best_of_majority   Monte Carlo                  - / alpha
================  ====================================================  =================
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..select import selection_probs
from . import exact, exact_vote, montecarlo
from .pool import FloatArray
from .prepared import Prepared


@dataclass(frozen=True)
class MethodInfo:
    param: str | None  # name of the method's parameter
    mc: bool  # needs Monte Carlo at finite N
    limit: bool  # has an exact N = inf row
    needs_answers: bool = False
    with_replacement_only: bool = False


METHODS: dict[str, MethodInfo] = {
    "bon": MethodInfo(None, mc=False, limit=True),
    "uniform": MethodInfo(None, mc=False, limit=True),
    "topk": MethodInfo("m", mc=False, limit=False),
    "best_of_poisson": MethodInfo(None, mc=False, limit=False, with_replacement_only=True),
    "oracle": MethodInfo(None, mc=False, limit=True),
    "itp": MethodInfo("beta", mc=True, limit=True),
    "soft_bon": MethodInfo("beta", mc=True, limit=True),
    "itp_alg1": MethodInfo("beta", mc=True, limit=False),
    "majority_vote": MethodInfo(None, mc=False, limit=False, needs_answers=True),
    "weighted_majority_vote": MethodInfo(None, mc=True, limit=False, needs_answers=True),
    "best_of_majority": MethodInfo("alpha", mc=True, limit=False, needs_answers=True),
}


def check_method(name: str) -> MethodInfo:
    try:
        return METHODS[name]
    except KeyError:
        raise ValueError(f"unknown lab method {name!r}; choose from {', '.join(METHODS)}") from None


@dataclass(frozen=True)
class Spec:
    """A method with its parameter value (``None`` if it has none).

    ``n_used``: Best-of-N run with fewer candidates than the budget (tuned BoN); ``tuned`` marks a
    parameter chosen on the calibration split.
    """

    method: str
    param: float | None = None
    n_used: int | None = None
    tuned: bool = False

    @property
    def param_name(self) -> str | None:
        if self.n_used is not None:
            return "n_used"
        return METHODS[self.method].param

    @property
    def setting(self) -> str:
        """A short label of the setting: ``beta=0.5``, ``m=4``, ``beta=auto``, ``''``."""
        name = self.param_name
        if name is None:
            return ""
        if self.tuned:
            return f"{name}=auto"
        value = self.n_used if self.n_used is not None else self.param
        return f"{name}={value:g}"

    def params(self, n: int) -> dict[str, object]:
        """Keyword parameters for the selection core at budget N."""
        if self.method in ("itp", "soft_bon"):
            return {"beta": self.param}
        if self.method == "topk":
            return {"k": topk_k(n, self.param)}
        if self.method == "best_of_majority":
            return {"alpha": self.param}
        return {}


def topk_k(n: int, m: float | None) -> int:
    """``k = ceil(N/m)`` (at least 1)."""
    if m is None or not m >= 1:
        raise ValueError(f"topk needs m >= 1 (k = ceil(N/m)); got {m}")
    return max(1, math.ceil(n / m))


@dataclass
class Estimate:
    """One job's result: per prompt expected true reward, its Monte Carlo variance, expected compute."""

    values: FloatArray
    mc_var: FloatArray
    compute: FloatArray
    exact: bool
    reps: int = 0


Job = tuple[float, Spec]  # (N, spec); N may be math.inf


def _exact_value(prep: Prepared, n: int, spec: Spec, replace: bool, classes: tuple | None) -> FloatArray:
    m = spec.method
    if n == 1 and m != "oracle":
        return exact.uniform_value(prep)
    if m == "bon":
        return exact.bon_value(prep, spec.n_used or n, replace)
    if m == "uniform":
        return exact.uniform_value(prep)
    if m == "topk":
        return exact.topk_value(prep, n, topk_k(n, spec.param), replace)
    if m == "best_of_poisson":
        return exact.poisson_value(prep, n - 1.0)
    if m == "oracle":
        return exact.oracle_value(prep, n, replace)
    if m == "majority_vote":
        return exact_vote.majority_vote_value(prep, n, replace, classes)
    raise AssertionError(m)


def limit_value(prep: Prepared, spec: Spec) -> FloatArray:
    """The N = inf limit: the rule applied to each prompt's whole pool (its empirical law), exactly.

    As N grows the N draws' empirical law converges to the pool's, so ITP's pool form tends to the
    chi-squared policy with the pool's own ``lam_hat``, soft-BoN to the softmax over the pool, BoN to
    the top tie group and the oracle to the pool's largest true reward.
    """
    m = spec.method
    if m == "oracle":
        probs = selection_probs("bon", prep.truth_asc, mask=prep.mask)
        return (probs * prep.truth_asc).sum(axis=1)
    probs = selection_probs(m, prep.proxy, mask=prep.mask, **spec.params(1))
    return (probs * prep.truth).sum(axis=1)


def _chunk_reps(reps: int, width: int, p: int, budget: int = 500_000) -> int:
    return max(1, min(reps, budget // max(1, width * p)))


@dataclass
class _Moments:
    """Per-prompt count, mean, sum of squared deviations (M2) and compute sum of some replicates;
    chunks merge exactly with Chan et al.'s pairwise formula (no cancellation)."""

    count: int
    mean: FloatArray
    m2: FloatArray
    compute: FloatArray

    @classmethod
    def of(cls, values: FloatArray, compute: FloatArray) -> _Moments:
        mean = values.mean(axis=0)
        return cls(values.shape[0], mean, ((values - mean) ** 2).sum(axis=0), compute.sum(axis=0))

    @classmethod
    def combine(cls, parts: list[_Moments]) -> _Moments:
        total = parts[0]
        for part in parts[1:]:
            count = total.count + part.count
            delta = part.mean - total.mean
            total = cls(
                count,
                total.mean + delta * part.count / count,
                total.m2 + part.m2 + delta**2 * total.count * part.count / count,
                total.compute + part.compute,
            )
        return total


def run_jobs(
    prep: Prepared,
    jobs: list[Job],
    *,
    reps: int,
    seed: int,
    stream: int,
    replace: bool = True,
    force_mc: bool = False,
    r_max: float | None = None,
    advance: Callable[[float], None] | None = None,
    threads: int = 1,
) -> dict[Job, Estimate]:
    """Evaluate every job; Monte Carlo jobs at the same N share their subsample draws.

    Replicates are processed in chunks (bounded memory), on ``threads`` threads (numpy releases the
    GIL in sorts and ufuncs). Chunk ``c`` of budget N draws from
    ``numpy.random.default_rng([seed, stream, N, c])`` and the chunk size depends only on ``reps``, N
    and the number of prompts: so results do not depend on the thread count, adding a method or an N
    to the grid never changes another row, and two splits of prompts (``stream``) never share draws.
    """
    p = prep.n_prompts
    out: dict[Job, Estimate] = {}
    by_n: dict[float, list[Spec]] = {}
    for n, spec in jobs:
        by_n.setdefault(n, []).append(spec)
    classes = None
    if any(s.method == "majority_vote" for _, s in jobs) and not force_mc:
        classes = exact_vote.answer_classes(prep)
    r_bound = _alg1_bound(prep, r_max) if any(s.method == "itp_alg1" for _, s in jobs) else None
    zeros = np.zeros(p)
    for n, specs in by_n.items():
        if math.isinf(n):
            for spec in specs:
                out[(n, spec)] = Estimate(limit_value(prep, spec), zeros, np.full(p, math.inf), exact=True)
            if advance:
                advance(len(specs) * p)
            continue
        ni = int(n)
        mc_specs = []
        for spec in specs:
            info = METHODS[spec.method]
            exact_ok = not info.mc and not (force_mc and spec.method != "best_of_poisson")
            if spec.method == "majority_vote" and exact_ok:
                exact_ok = exact_vote.majority_vote_feasible(prep, ni, classes)
            if ni == 1 and spec.method != "itp_alg1" and not force_mc:
                # every pool-form rule returns the only candidate: exactly the pool mean
                exact_ok = True
            if exact_ok:
                compute = np.full(p, float(spec.n_used or ni))
                out[(n, spec)] = Estimate(_exact_value(prep, ni, spec, replace, classes), zeros, compute, True)
            else:
                mc_specs.append(spec)
        if advance:
            advance((len(specs) - len(mc_specs)) * p)
        if not mc_specs:
            continue
        # memory per chunk: (reps, P, N) draws; without replacement the keys are (reps, P, M)
        chunk = _chunk_reps(reps, ni if replace else prep.proxy.shape[1], p)
        starts = list(range(0, reps, chunk))

        def one_chunk(index: int, ni: int = ni, mc_specs: list[Spec] = mc_specs) -> dict[Spec, _Moments]:
            r = min(chunk, reps - starts[index])
            rng = np.random.default_rng([seed, stream, ni, index])
            d = montecarlo.draw(prep, ni, r, rng, replace)
            moments = {}
            for spec in mc_specs:
                if spec.method == "itp_alg1":
                    values, compute = montecarlo.alg1_values(d, float(spec.param), ni, r_bound)
                else:
                    values = montecarlo.rule_values(d, spec.method, **spec.params(ni))
                    compute = np.full(values.shape, float(ni))
                moments[spec] = _Moments.of(values, compute)
                if advance:
                    advance(r * p * ni)
            return moments

        if threads > 1 and len(starts) > 1:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                parts = list(pool.map(one_chunk, range(len(starts))))
        else:
            parts = [one_chunk(i) for i in range(len(starts))]
        for spec in mc_specs:
            total = _Moments.combine([part[spec] for part in parts])
            var = total.m2 / max(total.count - 1, 1)
            out[(n, spec)] = Estimate(
                total.mean, var / total.count, total.compute / total.count, exact=False, reps=reps
            )
    return out


def _alg1_bound(prep: Prepared, r_max: float | None) -> FloatArray:
    """Algorithm 1's reward bound per prompt: ``r_max`` if given, else each prompt's pool maximum
    (the tightest valid bound on the pool's law)."""
    if r_max is None:
        return prep.r_max
    if not math.isfinite(r_max):
        raise ValueError(f"r_max must be finite; got {r_max}")
    worst = int(np.argmax(prep.r_max))
    if prep.r_max[worst] > r_max:
        raise ValueError(
            f"r_max={r_max} is below the largest proxy reward {prep.r_max[worst]} (prompt "
            f"{prep.prompt_ids[worst]!r}); it must bound every reward (after normalization)"
        )
    return np.full(prep.n_prompts, float(r_max))


def work_units(prep: Prepared, jobs: list[Job], reps: int, force_mc: bool = False) -> float:
    """Progress-bar units matching :func:`run_jobs`'s calls to ``advance`` (a Monte Carlo job costs
    ``reps * P * N``, an exact one ``P``; infeasible exact majority votes make it an estimate)."""
    total = 0.0
    p = prep.n_prompts
    for n, spec in jobs:
        mc = METHODS[spec.method].mc or (force_mc and spec.method != "best_of_poisson")
        total += p if math.isinf(n) or not mc else reps * p * n
    return total
