"""Monte Carlo over subsamples, vectorized over prompts and replicates at once.

One replicate draws N candidate indices per prompt from its pool (uniformly, with replacement, or
without). All replicates of a chunk and all prompts form one ``(R, P, N)`` batch that goes to the
selection core in a single call, so every rule's probabilities come from :mod:`pessimism.select`.

Each replicate's value is *Rao-Blackwellized*: the rule's exact expected true reward given the N
candidates, ``sum_i p_i t_i``, not one sampled choice. Only the subsample is random, which is all the
Monte Carlo error there is.

The indices are drawn into the prompt's pool sorted by proxy reward and then sorted themselves (small
integers, cheap), so candidates reach the core in ascending reward order; the same draws are shared
by every method and parameter evaluated at that N (common random numbers: their differences are much
less noisy than their levels).

Two shortcuts return the core's numbers for less work (tests compare them with direct core calls):
soft-BoN renormalizes the core's pool-level softmax on each subsample (a softmax restricted to a
subset *is* the renormalized softmax), and ITP runs the core on the top L candidates with
``beta * N / L`` when the left-out ones are provably inactive (see :func:`_itp_values`).
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np

from ..select import chi2_lambda, selection_probs
from .pool import FloatArray
from .prepared import Prepared


class Draws:
    """N candidates for every (replicate, prompt): indices into the sorted pool and what they carry
    (gathered once, on first use, and shared by every method evaluated on these draws)."""

    def __init__(self, prep: Prepared, flat: np.ndarray) -> None:
        self.prep = prep
        self.flat = flat  # (R, P, N) flat indices into the (P, M) arrays

    @cached_property
    def rewards(self) -> FloatArray:
        return np.take(self.prep.proxy.ravel(), self.flat)

    @cached_property
    def truth(self) -> FloatArray:
        return np.take(self.prep.truth.ravel(), self.flat)

    @cached_property
    def answers(self) -> np.ndarray:
        if self.prep.answers is None:
            raise ValueError("this method needs an 'answer' column in the pool")
        return self.prep.answers.ravel()[self.flat]


def draw(prep: Prepared, n: int, reps: int, rng: np.random.Generator, replace: bool = True) -> Draws:
    """Draw ``reps`` subsamples of N candidates per prompt; indices sorted ascending per subsample."""
    p, m = prep.proxy.shape
    small = np.int16 if m < 2**15 else np.int64
    if replace:
        if (prep.sizes == m).all():  # equal pools: the fast scalar-bound generator
            idx = rng.integers(0, m, size=(reps, p, n), dtype=small)
        else:
            idx = (rng.random((reps, p, n)) * prep.sizes[None, :, None]).astype(small)
    else:
        if n > int(prep.sizes.min()):
            raise ValueError(
                f"without replacement N={n} exceeds the smallest pool ({int(prep.sizes.min())} responses)"
            )
        keys = rng.random((reps, p, m))
        keys[:, ~prep.mask] = np.inf
        order = np.argpartition(keys, n - 1, axis=-1)[..., :n] if n < m else np.argsort(keys, axis=-1)
        idx = order.astype(small)
    idx = np.sort(idx, axis=-1)  # integers: equal keys are indistinguishable, stability is moot
    wide = np.int32 if p * m < 2**31 else np.int64
    flat = idx.astype(wide)
    flat += (np.arange(p, dtype=wide) * m)[None, :, None]
    return Draws(prep, flat)


def rule_values(d: Draws, method: str, fast: bool = True, **params: object) -> FloatArray:
    """``(R, P)`` expected true reward of the rule on each subsample: ``sum_i p_i t_i`` with ``p`` from
    :func:`pessimism.select.selection_probs`.

    With ``fast=True`` itp and soft_bon take the two shortcuts below, which return the same numbers
    (to rounding; the tests compare them) for much less work.
    """
    if fast and method == "soft_bon":
        return _soft_bon_values(d, float(params["beta"]))  # type: ignore[arg-type]
    if fast and method == "itp":
        return _itp_values(d, float(params["beta"]))  # type: ignore[arg-type]
    rewards = d.rewards
    if method == "oracle":
        probs = selection_probs("bon", d.truth)
    elif method in ("majority_vote", "weighted_majority_vote", "best_of_majority"):
        probs = selection_probs(method, rewards, answers=d.answers, **params)
    else:
        probs = selection_probs(method, rewards, **params)
    return np.einsum("rpn,rpn->rp", probs, d.truth)


def alg1_values(d: Draws, beta: float, n: int, r_max: FloatArray) -> tuple[FloatArray, FloatArray]:
    """ITP Algorithm 1 with phase 1 on the drawn subsample and phases 2-3 exact given ``lam_hat``.

    Phase 1 gives ``lam_hat`` (:func:`pessimism.select.chi2_lambda` on the N candidates). A fresh pool
    draw y is then accepted with ``a(y) = min(1, w(y)/M)``, ``w = relu((r - lam)/beta)``,
    ``M = (r_max - lam)/beta`` (so ``a = relu(r - lam)/(r_max - lam)``), the rule of
    :meth:`pessimism.select.ITPAlgorithm1.acceptance`. With ``A = E_pool[a]``:

        P(some phase-2 draw accepted) = 1 - (1 - A)^N
        E[true reward] = E_pool[a t]/A * (1 - (1 - A)^N) + (1 - A)^N * mean_pool(t)
        E[draws] = N + (1 - (1 - A)^N)/A + (1 - A)^N        (phase 1 + phase 2 + fallback)

    Returns ``(values, compute)``, both ``(R, P)``.
    """
    prep = d.prep
    lam = chi2_lambda(d.rewards, beta)  # (R, P)
    a = np.empty(lam.shape)
    at = np.empty(lam.shape)
    block = max(1, 1_000_000 // prep.proxy.size)  # replicates per block: bounded (R, P, M) memory
    for start in range(0, lam.shape[0], block):
        lb = lam[start : start + block, :, None]
        accept = np.clip((prep.proxy[None] - lb) / (r_max[None, :, None] - lb), 0.0, 1.0) * prep.mask[None]
        a[start : start + block] = accept.sum(axis=-1) / prep.sizes[None, :]
        at[start : start + block] = (accept * prep.truth[None]).sum(axis=-1) / prep.sizes[None, :]
    miss = (1.0 - a) ** n
    values = at / a * (1.0 - miss) + miss * prep.pool_mean[None, :]
    compute = n + (1.0 - miss) / a + miss
    return values, compute


_TINY = 1e-280  # below this a pool-level softmax probability may have lost precision (underflow)


def _soft_bon_values(d: Draws, beta: float) -> FloatArray:
    """Soft-BoN on each subsample from the *pool-level* softmax of the selection core.

    A softmax restricted to a subset is the full softmax renormalized on it (``p_i ∝ exp(r_i/beta)``
    has no other dependence on the candidates), so with ``q = soft_bon(pool)`` computed once, the
    subsample's probabilities are ``q_i / sum_j q_j`` over its candidates: one gather instead of an
    exponential per candidate. Subsamples whose largest ``q`` is tiny enough to have underflowed are
    recomputed directly by the core.
    """
    q = np.take(d.prep.pool_probs("soft_bon", beta).ravel(), d.flat)
    truth = d.truth
    top = q[..., -1]  # candidates are in ascending reward order, so the last has the largest q
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.einsum("rpn,rpn->rp", q, truth) / np.einsum("rpn->rp", q)
    bad = top < _TINY
    if bad.any():
        probs = selection_probs("soft_bon", d.rewards[bad], beta=beta)
        values[bad] = np.einsum("kn,kn->k", probs, truth[bad])
    return values


def _itp_values(d: Draws, beta: float) -> FloatArray:
    """ITP on each subsample, computed on its top L candidates only when that is provably exact.

    If the candidates left out are inactive (reward <= lam_hat), the normalizer equation
    ``sum_i relu(r_i - lam) = N beta`` and the probabilities ``relu(r_i - lam)/(N beta)`` only involve
    the kept ones, so ITP on the L kept candidates with ``beta' = beta N / L`` (the core's own
    scaling) gives the same lam_hat and probabilities. It is provable per subsample: the smallest
    kept candidate gets probability 0. L comes from the active share of the pool-level policy plus a
    binomial margin; subsamples where the proof fails are recomputed on all N candidates.
    """
    rewards, truth = d.rewards, d.truth
    n = rewards.shape[-1]
    keep = n
    if n >= 64:
        key = ("itp_active_share", beta)
        if key not in d.prep.cache:
            active = d.prep.pool_probs("itp", beta) > 0
            d.prep.cache[key] = float((active.sum(axis=1) / d.prep.sizes).max())
        keep = math.ceil(n * min(1.0, d.prep.cache[key] + 2.0 / math.sqrt(n))) + 4
    if keep >= n:
        return np.einsum("rpn,rpn->rp", selection_probs("itp", rewards, beta=beta), truth)
    kept_r = rewards[..., n - keep :]
    kept_t = truth[..., n - keep :]
    probs = selection_probs("itp", kept_r, beta=beta * n / keep)
    values = np.einsum("rpn,rpn->rp", probs, kept_t)
    unproven = probs[..., 0] > 0
    if unproven.any():
        full = selection_probs("itp", rewards[unproven], beta=beta)
        values[unproven] = np.einsum("kn,kn->k", full, truth[unproven])
    return values
