"""Brute-force references for the lab tests: enumerate every N-tuple a rule could see.

With a pool of M responses and N draws with replacement there are M^N equally likely tuples
(without replacement, M!/(M-N)! ordered ones). For each tuple the selection core gives the rule's
probabilities; averaging ``sum_i p_i t_i`` over all tuples is the exact expected true reward the
lab's evaluators must reproduce.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from pessimism.select import selection_probs


def tuples(m: int, n: int, replace: bool) -> np.ndarray:
    it = itertools.product(range(m), repeat=n) if replace else itertools.permutations(range(m), n)
    return np.array(list(it), dtype=np.int64).reshape(-1, n)


def brute_value(
    proxy: np.ndarray, truth: np.ndarray, n: int, method: str, replace: bool = True, answers: Any = None, **params: Any
) -> float:
    """Exact expected true reward of ``method`` over all N-tuples of one prompt's pool."""
    idx = tuples(len(proxy), n, replace)
    if answers is not None:
        params["answers"] = np.asarray(answers, dtype=object)[idx]
    probs = selection_probs(method, proxy[idx], **params)
    return float((probs * truth[idx]).sum(axis=1).mean())


def brute_values(pool, n: int, method: str, replace: bool = True, **params: Any) -> np.ndarray:  # type: ignore[no-untyped-def]
    """``brute_value`` for every prompt of a :class:`pessimism.lab.Pool`."""
    out = []
    for p in range(pool.n_prompts):
        m = pool.mask[p]
        kw = dict(params)
        if pool.answers is not None and method in ("majority_vote", "weighted_majority_vote", "best_of_majority"):
            kw["answers"] = pool.answers[p][m]
        out.append(brute_value(pool.proxy[p][m], pool.truth[p][m], n, method, replace, **kw))
    return np.array(out)
