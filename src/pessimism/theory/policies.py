"""Regularized policies on a finite response space: chi-squared (the population form of ITP) and KL.

**Chi-squared** (DESIGN.md section 2). ``pi_beta = argmax_pi E_pi[r_hat] - beta * D(pi || pi_ref)`` with
``D = 1/2 E_ref[(pi/pi_ref - 1)^2]`` is

    pi_beta(y) = pi_ref(y) * relu((r_hat(y) - lam) / beta),   E_ref[relu((r_hat - lam)/beta)] = 1.

This is the population version of :func:`pessimism.select.chi2_lambda`: there the N samples carry weight
1/N each, here response y carries weight ``pi_ref(y)``. The weighted sorted closed form: sort responses
by ``r_hat`` descending, ``W_k = sum_{j<=k} pi_(j)``, ``S_k = sum_{j<=k} pi_(j) r_(j)``. With the top k
active, ``lam_k = (S_k - beta) / W_k``. The active count K is the number of k with

    f_k = S_k - W_k r_(k) - beta < 0,

because ``f_k = E_ref[relu(r_hat - r_(k))] - beta`` is non-decreasing in k (so the condition holds for a
prefix and fails after) and ``f_k < 0`` is exactly ``r_(k) > lam_k``. Tied rewards get equal ``f_k`` and
so are active together; zero-probability responses never change the sums. One sort per row,
vectorized over any leading axes (the pool-form and Algorithm 1 modules call the row version on a
batch of pools, with weights = counts / N).

**KL**: the exponential tilt ``pi_ref * exp(r_hat / beta) / Z`` (what Soft-BoN approximates), computed
in log space so it never overflows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._checks import FloatArray, check_beta, check_pi_ref, check_rewards


def _chi2_lambda_rows(weights: FloatArray, r_hat: FloatArray, beta: float | FloatArray) -> FloatArray:
    """``lam`` per row of ``weights`` (shape ``(..., K)``, each row a distribution) for rewards
    ``r_hat`` (broadcast to ``weights``). ``beta`` is a scalar or broadcasts to ``weights.shape[:-1]``.
    Returns shape ``weights.shape[:-1] + (1,)``. No validation: callers check their inputs."""
    r = np.broadcast_to(r_hat, weights.shape)
    b = np.asarray(beta, dtype=np.float64)
    if b.ndim:
        b = b[..., None]
    top = np.max(np.where(weights > 0, r, -np.inf), axis=-1, keepdims=True)
    shifted = r - top  # exact shift-equivariance keeps the prefix sums well conditioned
    order = np.argsort(-shifted, axis=-1, kind="stable")
    rs = np.take_along_axis(shifted, order, axis=-1)
    ws = np.take_along_axis(weights, order, axis=-1)
    w_cum = np.cumsum(ws, axis=-1)
    s_cum = np.cumsum(ws * rs, axis=-1)
    active = np.count_nonzero(s_cum - w_cum * rs - b < 0, axis=-1)[..., None]
    s_k = np.take_along_axis(s_cum, active - 1, axis=-1)
    w_k = np.take_along_axis(w_cum, active - 1, axis=-1)
    return (s_k - b) / w_k + top


def _chi2_policy_rows(weights: FloatArray, r_hat: FloatArray, beta: float | FloatArray) -> FloatArray:
    """``weights * relu((r_hat - lam)/beta)`` per row; see :func:`_chi2_lambda_rows`."""
    lam = _chi2_lambda_rows(weights, r_hat, beta)
    b = np.asarray(beta, dtype=np.float64)
    if b.ndim:
        b = b[..., None]
    return weights * np.maximum((r_hat - lam) / b, 0.0)


def chi2_normalizer(pi_ref: ArrayLike, r_hat: ArrayLike, beta: float) -> float:
    """The population normalizer ``lam``: the root of ``E_ref[relu((r_hat - lam)/beta)] = 1``.

    It lies in ``[E_ref r_hat - beta, max r_hat)`` over the support of ``pi_ref``; ``beta -> inf`` gives
    ``E_ref[r_hat] - beta`` (the policy tends to ``pi_ref``).
    """
    p = check_pi_ref(pi_ref)
    r = check_rewards(r_hat, "r_hat", p.shape[0])
    b = check_beta(beta)
    return float(_chi2_lambda_rows(p, r, b)[0])


def chi2_policy(pi_ref: ArrayLike, r_hat: ArrayLike, beta: float) -> FloatArray:
    """The chi-squared regularized policy ``pi_ref * relu((r_hat - lam)/beta)`` (ITP's N -> inf limit).

    ``lam`` makes the weights average to 1 under ``pi_ref`` (see :func:`chi2_normalizer`), so the result
    is a distribution over the K responses. ``beta -> 0`` concentrates it on the responses with the
    largest ``r_hat`` in the support of ``pi_ref`` (in proportion to ``pi_ref`` among ties: the N -> inf
    limit of Best-of-N); ``beta -> inf`` returns ``pi_ref``. Responses outside the support of ``pi_ref``
    get 0: chi-squared regularization never leaves the reference policy's support.

    Args:
        pi_ref: reference probabilities over K responses (non-negative, summing to 1).
        r_hat: proxy reward of each response (finite).
        beta: regularization strength, > 0, in reward units.
    """
    p = check_pi_ref(pi_ref)
    r = check_rewards(r_hat, "r_hat", p.shape[0])
    b = check_beta(beta)
    return _chi2_policy_rows(p, r, b)


def kl_policy(pi_ref: ArrayLike, r_hat: ArrayLike, beta: float) -> FloatArray:
    """The KL regularized policy: the exponential tilt ``pi_ref * exp(r_hat/beta) / Z``.

    ``argmax_pi E_pi[r_hat] - beta * KL(pi || pi_ref)``. Computed as ``exp((r_hat - max r_hat)/beta)`` over the
    support, so it is exact for any scale of rewards and beta. ``beta -> 0`` tends to the same limit as
    :func:`chi2_policy`; ``beta -> inf`` to ``pi_ref``.
    """
    p = check_pi_ref(pi_ref)
    r = check_rewards(r_hat, "r_hat", p.shape[0])
    b = check_beta(beta)
    support = p > 0
    top = np.max(r[support])
    with np.errstate(under="ignore"):
        tilt = np.where(support, p * np.exp(np.minimum((r - top) / b, 0.0)), 0.0)
    return tilt / tilt.sum()


def expected_reward(policy: ArrayLike, reward: ArrayLike) -> float:
    """``E_policy[reward] = sum_y policy(y) reward(y)`` (e.g. a policy's true reward ``J(pi)``)."""
    p = check_pi_ref(policy, "policy")
    r = check_rewards(reward, "reward", p.shape[0])
    return float(p @ r)
