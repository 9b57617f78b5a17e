"""Rates: how the best achievable regret of Best-of-N and of ITP shrinks with the reward-model error.

**The hard class.** Lower bounds are worst-case statements: a rule tuned with what one knows (the
error ``eps``, a coverage budget ``C0``) faces every instance consistent with it. For each ``eps`` the class
``H(eps)`` holds two kinds of two-response instances (:func:`pessimism.theory.instances.gem`,
:func:`~pessimism.theory.instances.hacker`):

* ``gem(delta)`` for delta on a log grid: filler (true = rated = 0) and a gem of mass ``delta^2``
  (true = rated = 1). The reward model is exact. The comparator - the best policy with chi-squared
  coverage at most ``C0`` - puts mass ~``delta sqrt(C0 - 1)`` on the gem, so a rule that does not look
  at ~1/delta samples falls short by ~delta.
* ``hacker(eps, q)`` for q on a log grid in ``[eps^2, 1/2]``: filler (true = rated = 1/2) and a hack of
  mass q rated ``1/2 + D``, true ``1/2 - D``, ``D = eps / (2 sqrt q)``: exactly ``eps2 = eps^2``.

Every member has ``eps2 <= eps^2`` and a comparator with coverage ``<= C0`` (default 2). The regret of a
rule with parameter theta (N for Best-of-N, beta for ITP) is its worst case over the class,
``max_{I in H(eps)} [J*(comparator_I) - J*(rule_theta on I)]``, and the *best achievable* regret is the
minimum over theta (one theta for the whole class: it may depend on eps and C0, not on the instance).

**What theory predicts.** Best-of-N on ``gem(delta)`` loses ``~delta - N delta^2`` (worst ``~1/(4N)``)
and on ``hacker(eps, q)`` loses ``D (1 - (1 - q)^N)`` (worst near ``q ~ 1/N``: ``~0.32 eps sqrt(N)``).
Balancing gives ``N ~ eps^(-2/3)`` and regret ``~ eps^(2/3)``. ITP's population policy loses
``~beta (C0-1)/4`` on gems and ``<= eps/2 + eps^2/(4 beta)`` on hacks, so ``beta ~ eps`` gives regret
``~ eps``; the pool form needs ``N ~ 1/delta ~ 1/eps`` samples to reach it (it must see the gem).

**What is measured.** Everything is exact: Best-of-N by :func:`bon_curve`, ITP's N -> inf limit by
:func:`chi2_policy`, ITP's pool form at finite N by enumeration (K = 2: N + 1 pools). Slopes are
least-squares fits on log-log axes. ``per_instance_bon`` reports the contrast: if N may be tuned per
instance, each member alone is easy (a gem rewards large N, a hack N = 1) and Best-of-N's regret is
``O(eps)`` - the ``eps^(2/3)`` is a statement about one N for the whole class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .bon import bon_curve
from .coverage import chi2_ball_comparator
from .instance import FiniteInstance
from .instances import gem, hacker
from .itp import itp_pool_law
from .policies import _chi2_policy_rows


def hard_class(eps: float, *, points: int = 24) -> list[FiniteInstance]:
    """The class ``H(eps)``: ``points`` gems (delta log-spaced in [eps/20, 1/2]) and ``points`` hackers
    (q log-spaced in [eps^2, 1/2])."""
    if not (0 < eps < 1):
        raise ValueError(f"eps must lie in (0, 1); got {eps!r}")
    deltas = np.geomspace(eps / 20.0, 0.5, points)
    qs = np.geomspace(max(eps * eps, 1e-12), 0.5, points)
    return [gem(float(d)) for d in deltas] + [hacker(eps, float(q)) for q in qs]


@dataclass(frozen=True)
class RatePoint:
    """One eps of the rate study."""

    eps: float
    bon_regret: float  #: min over N of the class-worst Best-of-N regret
    bon_n: int  #: the N attaining it
    itp_regret: float  #: min over beta of the class-worst regret of the population chi2 policy
    itp_beta: float  #: the beta attaining it
    itp_n: int | None  #: smallest N (grid) where the pool form at itp_beta is within tolerance of it
    itp_regret_at_n: float | None  #: the pool form's class-worst regret at that N
    per_instance_bon: float  #: max over the class of (min over N of that instance's BoN regret)


@dataclass(frozen=True)
class RateStudy:
    points: list[RatePoint]
    bon_slope: float  #: d log(BoN regret) / d log(eps); theory 2/3
    itp_slope: float  #: d log(ITP regret) / d log(eps); theory 1
    bon_n_slope: float  #: d log(BoN's N) / d log(1/eps); theory 2/3
    itp_n_slope: float | None  #: d log(ITP's N) / d log(1/eps); theory 1
    per_instance_bon_slope: float
    coverage_budget: float
    tolerance: float


def _slope(x: ArrayLike, y: ArrayLike) -> float:
    return float(np.polyfit(np.log(np.asarray(x, float)), np.log(np.asarray(y, float)), 1)[0])


def _n_grid(max_n: int) -> np.ndarray:
    return np.unique(np.round(np.geomspace(1, max_n, int(8 * math.log2(max_n)) + 1)).astype(np.int64))


def rate_point(
    eps: float,
    *,
    coverage_budget: float = 2.0,
    points: int = 24,
    tolerance: float = 0.25,
    finite_n: bool = True,
    max_n: int = 2**17,
) -> RatePoint:
    """Measure one eps: Best-of-N and ITP class-worst regrets, their best N / beta, and the N ITP's
    pool form needs to come within ``tolerance`` (relative) of its N -> inf regret."""
    members = hard_class(eps, points=points)
    best = np.array([chi2_ball_comparator(m.pi_ref, m.r_star, coverage_budget) @ m.r_star for m in members])

    ns = _n_grid(2**24)
    bon = np.stack([bon_curve(m.pi_ref, m.r_hat, m.r_star, ns) for m in members])  # (members, N)
    bon_regret = best[:, None] - bon
    worst_bon = bon_regret.max(axis=0)
    j = int(np.argmin(worst_bon))

    betas = np.geomspace(1e-7, 10.0, 561)
    pis = np.stack([m.pi_ref for m in members])
    rh = np.stack([m.r_hat for m in members])
    rs = np.stack([m.r_star for m in members])
    pol = _chi2_policy_rows(pis[:, None, :], rh[:, None, :], betas[None, :])  # (members, betas, 2)
    itp_regret = best[:, None] - np.einsum("mbk,mk->mb", pol, rs)
    worst_itp = itp_regret.max(axis=0)
    i = int(np.argmin(worst_itp))
    beta = float(betas[i])

    itp_n = None
    itp_at_n = None
    if finite_n:
        target = worst_itp[i] * (1.0 + tolerance)
        for n in (int(v) for v in np.unique(np.round(np.geomspace(1, max_n, 4 * int(math.log2(max_n)) + 1)))):
            worst = max(
                best[k] - itp_pool_law(m.pi_ref, m.r_hat, beta, n, r_star=m.r_star, max_multisets=max_n + 1).value
                for k, m in enumerate(members)
            )
            if worst <= target:
                itp_n, itp_at_n = n, float(worst)
                break
    return RatePoint(
        eps=float(eps),
        bon_regret=float(worst_bon[j]),
        bon_n=int(ns[j]),
        itp_regret=float(worst_itp[i]),
        itp_beta=beta,
        itp_n=itp_n,
        itp_regret_at_n=itp_at_n,
        per_instance_bon=float(np.max(bon_regret.min(axis=1))),
    )


def rate_study(
    eps_grid: ArrayLike = (1e-2, 3e-3, 1e-3, 3e-4, 1e-4),
    *,
    coverage_budget: float = 2.0,
    points: int = 24,
    tolerance: float = 0.25,
    finite_n: bool = True,
) -> RateStudy:
    """Run :func:`rate_point` for every eps and fit the log-log slopes (see the module docstring)."""
    grid = [float(e) for e in np.atleast_1d(np.asarray(eps_grid, float))]
    if len(grid) < 2:
        raise ValueError("eps_grid needs at least two values to fit a slope")
    pts = [rate_point(e, coverage_budget=coverage_budget, points=points, tolerance=tolerance, finite_n=finite_n)
           for e in grid]
    eps = [p.eps for p in pts]
    with_n = [p for p in pts if p.itp_n is not None]
    return RateStudy(
        points=pts,
        bon_slope=_slope(eps, [p.bon_regret for p in pts]),
        itp_slope=_slope(eps, [p.itp_regret for p in pts]),
        bon_n_slope=_slope([1 / e for e in eps], [p.bon_n for p in pts]),
        itp_n_slope=(_slope([1 / p.eps for p in with_n], [p.itp_n for p in with_n]) if len(with_n) >= 2 else None),
        per_instance_bon_slope=_slope(eps, [max(p.per_instance_bon, 1e-300) for p in pts]),
        coverage_budget=coverage_budget,
        tolerance=tolerance,
    )
