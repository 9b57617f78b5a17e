"""A pool sorted once for evaluation: every evaluator (exact and Monte Carlo) works on this.

Each prompt's responses are sorted by proxy reward, ascending, real responses first and padding
after. Two things follow:

* exact evaluators need, for the response at ascending rank ``i`` (1-based), the ranks spanned by
  its tie group ``(lo, hi]`` (``lo`` responses strictly below it, ``hi`` at or below it);
* Monte Carlo draws indices into the sorted pool and sorts the *indices* (small integers, cheap)
  instead of the rewards, so the candidates reach the selection core already in ascending order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .normalize import normalize_rewards
from .pool import BoolArray, FloatArray, Pool

IntArray = NDArray[np.int64]


def tie_bounds(ascending: FloatArray, sizes: IntArray) -> tuple[IntArray, IntArray]:
    """``(lo, hi)`` per slot of rows sorted ascending over their first ``sizes[p]`` entries.

    ``lo[p, i]`` = number of entries strictly below entry i, ``hi[p, i]`` = number at or below it.
    Slots past ``sizes[p]`` get ``lo = hi = 0``.
    """
    p, m = ascending.shape
    pos = np.broadcast_to(np.arange(m), (p, m))
    valid = pos < sizes[:, None]
    new_group = np.ones((p, m), dtype=bool)
    new_group[:, 1:] = ascending[:, 1:] != ascending[:, :-1]
    lo = np.maximum.accumulate(np.where(new_group, pos, 0), axis=1)
    last = np.ones((p, m), dtype=bool)
    last[:, :-1] = ascending[:, :-1] != ascending[:, 1:]
    last |= pos == (sizes[:, None] - 1)
    end = np.minimum.accumulate(np.where(last, pos, m)[:, ::-1], axis=1)[:, ::-1]
    return np.where(valid, lo, 0), np.where(valid, end + 1, 0)


@dataclass(frozen=True)
class Prepared:
    """A (possibly normalized) pool sorted by proxy reward per prompt, plus what evaluators reuse."""

    proxy: FloatArray  # (P, M) ascending over the first sizes[p] slots, then padding
    truth: FloatArray  # (P, M) true rewards in the same order
    mask: BoolArray  # (P, M) a prefix of True per row
    sizes: IntArray  # (P,)
    lo: IntArray  # tie group of each slot by proxy: (lo, hi]
    hi: IntArray
    truth_asc: FloatArray  # truth sorted ascending (for the oracle)
    truth_lo: IntArray
    truth_hi: IntArray
    pool_mean: FloatArray  # (P,) mean true reward of the pool = uniform / N = 1
    r_max: FloatArray  # (P,) largest proxy reward in each prompt's pool
    answers: np.ndarray | None  # (P, M) object, sorted like proxy
    tokens: FloatArray | None  # (P,) mean num_tokens per response, when known
    prompt_ids: tuple[object, ...]
    cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_prompts(self) -> int:
        return int(self.proxy.shape[0])

    def pool_probs(self, method: str, beta: float) -> FloatArray:
        """The rule's probabilities on each prompt's whole pool (from the selection core), cached."""
        key = ("pool_probs", method, beta)
        if key not in self.cache:
            from ..select import selection_probs

            self.cache[key] = selection_probs(method, self.proxy, mask=self.mask, beta=beta)
        return self.cache[key]


def _mean_tokens(pool: Pool) -> FloatArray | None:
    raw = pool.columns.get("num_tokens")
    if raw is None:
        return None
    valid = raw[pool.mask]
    try:
        values = np.array(valid.tolist(), dtype=np.float64)
    except (TypeError, ValueError):
        return None  # some entry is not a number: report no token column rather than guess
    if values.shape != valid.shape or not np.isfinite(values).all() or any(isinstance(v, bool) for v in valid):
        return None
    full = np.zeros(pool.mask.shape)
    full[pool.mask] = values
    return full.sum(axis=1) / pool.sizes


def prepare(pool: Pool, normalize: str = "none") -> Prepared:
    """Normalize the proxy reward (per prompt, see :mod:`.normalize`) and sort each prompt's pool."""
    sizes = pool.sizes
    proxy = normalize_rewards(pool.proxy, pool.mask, normalize)
    order = np.argsort(np.where(pool.mask, proxy, np.inf), axis=1, kind="stable")
    take = lambda a: np.take_along_axis(a, order, axis=1)  # noqa: E731
    r = take(proxy)
    t = take(pool.truth)
    m = take(pool.mask)
    lo, hi = tie_bounds(np.where(m, r, np.inf), sizes)
    t_order = np.argsort(np.where(pool.mask, pool.truth, np.inf), axis=1, kind="stable")
    t_asc = np.take_along_axis(pool.truth, t_order, axis=1)
    t_lo, t_hi = tie_bounds(np.where(m, t_asc, np.inf), sizes)
    return Prepared(
        proxy=np.where(m, r, 0.0),
        truth=np.where(m, t, 0.0),
        mask=m,
        sizes=sizes,
        lo=lo,
        hi=hi,
        truth_asc=np.where(m, t_asc, 0.0),
        truth_lo=t_lo,
        truth_hi=t_hi,
        pool_mean=np.where(m, t, 0.0).sum(axis=1) / sizes,
        r_max=np.max(np.where(m, r, -np.inf), axis=1),
        answers=None if pool.answers is None else take(pool.answers),
        tokens=_mean_tokens(pool),
        prompt_ids=pool.prompt_ids,
    )
