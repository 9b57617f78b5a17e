"""Exact Best-of-N on a finite response space, for any N (ties split uniformly).

Group the responses in the support of ``pi_ref`` by equal ``r_hat`` and sort the groups ascending, with
masses ``q_g`` and CDF ``F(g) = q_1 + ... + q_g``. Best-of-N returns a response of group g exactly when the
largest group among the N draws is g:

    P(max group = g) = F(g)^N - F(g-1)^N,

and, given that, a uniformly random one of the drawn group-g responses, which is distributed as
``pi_ref`` restricted to group g. So ``P_BoN(y) = P(max group = g(y)) * pi_ref(y) / q_{g(y)}``.

Numerics. For large N and tiny masses the difference of two powers cancels catastrophically (at
N = 10^6 and a mass of 10^-12, ``1 - (1 - q)^N`` in plain floating point keeps 4 digits). Instead

    F(g)^N - F(g-1)^N = -exp(N log F(g)) * expm1(N log1p(-q_g / F(g))),

with ``log F(g) = log1p(-U_g)``, ``U_g`` the mass strictly above g summed from the top, whenever that
tail is small (and ``log`` of the prefix sum otherwise). Every step is then accurate to a few ulps,
whatever N and however small the masses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import FloatArray, check_n, check_pi_ref, check_rewards


def _groups(p: FloatArray, r_hat: FloatArray) -> tuple[FloatArray, np.ndarray, np.ndarray]:
    """Distinct ``r_hat`` values on the support, ascending: (group masses, support mask, group of each
    support response)."""
    support = p > 0
    _, group = np.unique(r_hat[support], return_inverse=True)
    mass = np.bincount(group, weights=p[support])
    return mass, support, group


def _max_group_probs(mass: FloatArray, ns: FloatArray) -> FloatArray:
    """``P(max group = g)`` for ascending group masses; ``ns`` shaped ``(m, 1)`` -> result ``(m, G)``."""
    prefix = np.cumsum(mass)
    above = np.concatenate([np.cumsum(mass[::-1])[::-1][1:], [0.0]])  # U_g: mass strictly above g
    small_tail = above < 0.5
    log_cdf = np.where(small_tail, np.log1p(-np.minimum(above, 0.5)), np.log(np.maximum(prefix, 1e-300)))
    cdf = np.where(small_tail, 1.0 - above, prefix)
    ratio = mass / cdf
    ratio[0] = 1.0  # the lowest group: F(g-1) = 0 exactly
    with np.errstate(divide="ignore", under="ignore"):
        step = np.log1p(-np.minimum(ratio, 1.0))  # -inf for the lowest group
        probs = -np.exp(ns * log_cdf) * np.expm1(ns * step)
    return probs


def bon_distribution(pi_ref: ArrayLike, r_hat: ArrayLike, n: int) -> FloatArray:
    """The law of the response Best-of-N returns: ``P_BoN(y)`` for each of the K responses.

    Exact for any ``n >= 1`` (N = 1 returns ``pi_ref``); responses outside the support of ``pi_ref``
    get 0. See the module docstring for the formula and why it is stable for ``n = 10^6``.
    """
    p = check_pi_ref(pi_ref)
    r = check_rewards(r_hat, "r_hat", p.shape[0])
    nn = check_n(n)
    mass, support, group = _groups(p, r)
    group_probs = _max_group_probs(mass, np.array([[float(nn)]]))[0]
    out = np.zeros_like(p)
    out[support] = group_probs[group] * p[support] / mass[group]
    return out


def bon_curve(pi_ref: ArrayLike, r_hat: ArrayLike, r_star: ArrayLike, ns: ArrayLike) -> FloatArray:
    """Best-of-N's true reward ``E[r_star(y_BoN)]`` for every N in ``ns`` at once (vectorized)."""
    p = check_pi_ref(pi_ref)
    r = check_rewards(r_hat, "r_hat", p.shape[0])
    rs = check_rewards(r_star, "r_star", p.shape[0])
    n_list = [check_n(v, "ns entry") for v in np.atleast_1d(np.asarray(ns, dtype=object)).ravel()]
    if not n_list:
        raise ValueError("ns is empty; pass at least one sample size")
    mass, support, group = _groups(p, r)
    group_mean = np.bincount(group, weights=p[support] * rs[support]) / mass
    probs = _max_group_probs(mass, np.asarray(n_list, dtype=np.float64)[:, None])
    return probs @ group_mean


def bon_value(pi_ref: ArrayLike, r_hat: ArrayLike, r_star: ArrayLike, n: int) -> float:
    """Best-of-N's expected true reward, exactly: ``sum_y P_BoN(y) r_star(y)``.

    Args:
        pi_ref: reference probabilities over K responses (non-negative, summing to 1).
        r_hat: proxy reward of each response (what Best-of-N maximizes); ties are split uniformly.
        r_star: true reward of each response.
        n: the number of samples N, an integer >= 1 (any size: 10^6 is as exact as 2).
    """
    return float(bon_curve(pi_ref, r_hat, r_star, [check_n(n)])[0])
