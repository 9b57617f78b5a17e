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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..select import chi2_lambda, selection_probs
from .pool import FloatArray
from .prepared import Prepared


@dataclass
class Draws:
    """N candidates for every (replicate, prompt): indices into the sorted pool and what they carry."""

    prep: Prepared
    flat: np.ndarray  # (R, P, N) flat indices into the (P, M) arrays

    @property
    def rewards(self) -> FloatArray:
        return self.prep.proxy.ravel()[self.flat]

    @property
    def truth(self) -> FloatArray:
        return self.prep.truth.ravel()[self.flat]

    @property
    def answers(self) -> np.ndarray:
        if self.prep.answers is None:
            raise ValueError("this method needs an 'answer' column in the pool")
        return self.prep.answers.ravel()[self.flat]


def draw(prep: Prepared, n: int, reps: int, rng: np.random.Generator, replace: bool = True) -> Draws:
    """Draw ``reps`` subsamples of N candidates per prompt; indices sorted ascending per subsample."""
    p, m = prep.proxy.shape
    small = np.int16 if m < 2**15 else np.int64
    if replace:
        idx = rng.integers(0, prep.sizes[None, :, None], size=(reps, p, n), dtype=small)
    else:
        if n > int(prep.sizes.min()):
            raise ValueError(
                f"without replacement N={n} exceeds the smallest pool ({int(prep.sizes.min())} responses)"
            )
        keys = rng.random((reps, p, m))
        keys[:, ~prep.mask] = np.inf
        idx = np.argpartition(keys, n - 1, axis=-1)[..., :n].astype(small) if n < m else np.argsort(keys, axis=-1)[..., :n].astype(small)
    idx = np.sort(idx, axis=-1, kind="stable")
    flat = idx.astype(np.int64) + (np.arange(p, dtype=np.int64) * m)[None, :, None]
    return Draws(prep, flat)


def rule_values(d: Draws, method: str, **params: object) -> FloatArray:
    """``(R, P)`` expected true reward of the rule on each subsample: ``sum_i p_i t_i`` with ``p`` from
    :func:`pessimism.select.selection_probs`."""
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
    gap = r_max[None, :, None] - lam[..., None]
    accept = np.clip((prep.proxy[None] - lam[..., None]) / gap, 0.0, 1.0) * prep.mask[None]
    sizes = prep.sizes[None, :]
    a = accept.sum(axis=-1) / sizes
    at = (accept * prep.truth[None]).sum(axis=-1) / sizes
    miss = (1.0 - a) ** n
    values = at / a * (1.0 - miss) + miss * prep.pool_mean[None, :]
    compute = n + (1.0 - miss) / a + miss
    return values, compute
