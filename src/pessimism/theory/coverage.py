"""Coverage coefficients, reward-model error and comparators (DESIGN.md section 1).

* ``eps2 = E_ref[(r_hat - r_star)^2]``: the reward model's mean squared error under ``pi_ref``.
* chi-squared coverage of a comparator: ``C = E_{pi_star}[pi_star / pi_ref] = sum_y pi_star(y)^2 / pi_ref(y)``
  (= 1 + chi2(pi_star || pi_ref)); ITP's guarantee is stated with it.
* L-infinity coverage: ``C_inf = max_y pi_star(y) / pi_ref(y)``, the stringent notion under which
  Best-of-N is fine. Always ``C <= C_inf``.

Comparators: :func:`best_response` (the default everywhere in this package: ``pi_ref`` restricted to the
responses with the largest true reward, so ``C = C_inf = 1 / pi_ref(best set)``) and
:func:`chi2_ball_comparator`, the best policy whose chi-squared coverage is at most a budget ``C0``
(the comparator the rate study uses).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from ._checks import FloatArray, check_pi_ref, check_policy, check_rewards
from .policies import _chi2_policy_rows


def eps2(pi_ref: ArrayLike, r_hat: ArrayLike, r_star: ArrayLike) -> float:
    """Reward-model error ``E_ref[(r_hat - r_star)^2]``."""
    p = check_pi_ref(pi_ref)
    r = check_rewards(r_hat, "r_hat", p.shape[0])
    rs = check_rewards(r_star, "r_star", p.shape[0])
    return float(p @ (r - rs) ** 2)


def _comparator(p: FloatArray, pi_star: ArrayLike | None, r_star: ArrayLike | None) -> FloatArray:
    if pi_star is not None:
        return check_policy(pi_star, "pi_star", p.shape[0])
    if r_star is None:
        raise ValueError("pass a comparator pi_star, or r_star to use the default comparator (the best response)")
    return best_response(p, r_star)


def _density_ratio(pi_ref: ArrayLike, pi_star: ArrayLike | None, r_star: ArrayLike | None) -> FloatArray | None:
    """``pi_star / pi_ref`` on the support of ``pi_star`` (with ``pi_star`` on it), or ``None`` when
    ``pi_star`` puts mass where ``pi_ref`` has none (infinite coverage)."""
    p = check_pi_ref(pi_ref)
    s = _comparator(p, pi_star, r_star)
    on = s > 0
    if np.any(on & (p == 0)):
        return None
    return np.stack([s[on] / p[on], s[on]])


def coverage_chi2(pi_ref: ArrayLike, pi_star: ArrayLike | None = None, *, r_star: ArrayLike | None = None) -> float:
    """``C = sum_y pi_star(y)^2 / pi_ref(y)``; ``inf`` when ``pi_star`` leaves the support of ``pi_ref``.

    Without ``pi_star`` the comparator is the best response for ``r_star`` (:func:`best_response`).
    """
    ratio = _density_ratio(pi_ref, pi_star, r_star)
    return math.inf if ratio is None else float(np.sum(ratio[0] * ratio[1]))


def coverage_linf(pi_ref: ArrayLike, pi_star: ArrayLike | None = None, *, r_star: ArrayLike | None = None) -> float:
    """``C_inf = max_y pi_star(y) / pi_ref(y)``; ``inf`` when ``pi_star`` leaves the support of ``pi_ref``.

    Without ``pi_star`` the comparator is the best response for ``r_star`` (:func:`best_response`).
    """
    ratio = _density_ratio(pi_ref, pi_star, r_star)
    return math.inf if ratio is None else float(np.max(ratio[0]))


def best_response(pi_ref: ArrayLike, r_star: ArrayLike) -> FloatArray:
    """The best-response comparator: ``pi_ref`` restricted to ``argmax r_star`` over its support.

    With a unique best response this is a point mass; with ties, spreading in proportion to
    ``pi_ref`` is the best-response policy with the smallest coverage, ``1 / pi_ref(best set)``.
    """
    p = check_pi_ref(pi_ref)
    rs = check_rewards(r_star, "r_star", p.shape[0])
    support = p > 0
    best = support & (rs == np.max(rs[support]))
    out = np.where(best, p, 0.0)
    return out / out.sum()


def chi2_ball_comparator(pi_ref: ArrayLike, r_star: ArrayLike, max_coverage: float) -> FloatArray:
    """The best policy (by true reward) with chi-squared coverage at most ``max_coverage``.

    ``argmax_pi E_pi[r_star]`` subject to ``C(pi) <= C0`` is a concave problem whose solution is the
    chi-squared regularized policy of ``r_star`` itself, ``pi_ref * relu((r_star - lam)/b)``, at the
    ``b`` where its coverage equals ``C0`` (coverage falls monotonically from ``C(best response)`` at
    ``b -> 0`` to 1 at ``b -> inf``); found by bisection on ``log b`` to 1e-12 relative. If the best
    response already has coverage <= ``C0`` it is returned.
    """
    p = check_pi_ref(pi_ref)
    rs = check_rewards(r_star, "r_star", p.shape[0])
    c0 = float(max_coverage)
    if not (math.isfinite(c0) and c0 >= 1.0):
        raise ValueError(f"max_coverage must be a finite number >= 1 (coverage is always >= 1); got {max_coverage!r}")
    best = best_response(p, rs)
    c_best = coverage_chi2(p, best)
    if c_best <= c0:
        return best
    if float(np.ptp(rs[p > 0])) <= 1e-12 * max(1.0, float(np.abs(rs).max())):
        # all responses equally good to 1e-12: the bisection below would underflow b chasing such
        # differences. Any policy in the ball is optimal to that precision; return the mixture
        # (1-t) pi_ref + t best with coverage exactly C0: C(t) = 1 + t^2 (C(best) - 1).
        t = math.sqrt((c0 - 1.0) / (c_best - 1.0))
        return (1.0 - t) * p + t * best
    if c0 == 1.0:
        return p.copy()  # the only policy with coverage 1 is pi_ref itself

    def coverage_at(log_b: float) -> float:
        policy = _chi2_policy_rows(p, rs, math.exp(log_b))
        on = p > 0
        return float(np.sum(policy[on] ** 2 / p[on]))

    scale = max(float(np.ptp(rs[p > 0])), 1e-300)
    lo = hi = math.log(scale)
    for _ in range(400):  # coverage -> 1 < c0 as b -> inf and -> C(best response) > c0 as b -> 0
        if coverage_at(hi) <= c0:
            break
        hi += 2.0
    for _ in range(400):
        if coverage_at(lo) > c0:
            break
        lo -= 2.0
    else:
        return best  # b underflowed first: the ball's best policy is the best response to within 1e-300
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if coverage_at(mid) > c0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return _chi2_policy_rows(p, rs, math.exp(hi))
