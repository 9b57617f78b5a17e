"""Exact majority vote on a pool, by enumerating answer-count vectors.

Majority vote depends on the N candidates only through how many carry each answer. For a prompt
whose pool has K distinct answers (plus, if some responses have none, one "no answer" class), the
counts of N draws follow a multinomial law (with replacement) or a multivariate hypergeometric law
(without). For every count vector the rule (as in :func:`pessimism.select.majority_vote`) returns the
most frequent answer, ties split equally, each answer's share spread uniformly over its candidates;
all-unanswered samples fall back to uniform. By exchangeability the expected true reward of a class's
candidates is the class's mean true reward, so

    E[true reward] = sum over count vectors c of P(c) * sum_a share_a(c) * mean_truth(a).

**Feasible** when the number of count vectors ``C(N + K' - 1, K' - 1)`` (``K'`` = number of classes)
is at most :data:`MAX_COUNT_VECTORS` for every prompt: e.g. any N with 2 classes, N <= ~630 with 3,
N <= ~50 with 5, N <= ~12 with 10. Otherwise the lab falls back to Monte Carlo for that N.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from functools import lru_cache

import numpy as np

from ..select.voting import _is_missing
from .exact import _log_choose, _log_factorials
from .pool import FloatArray
from .prepared import Prepared

MAX_COUNT_VECTORS = 200_000
_CHUNK = 4_000_000  # count vectors x prompts per block, to bound memory


@lru_cache(maxsize=32)
def compositions(n: int, parts: int) -> np.ndarray:
    """All vectors of ``parts`` non-negative integers summing to ``n``: shape ``(C(n+parts-1, parts-1), parts)``."""
    if parts == 1:
        return np.array([[n]], dtype=np.int64)
    blocks = []
    for first in range(n + 1):
        rest = compositions(n - first, parts - 1)
        blocks.append(np.column_stack([np.full(len(rest), first, dtype=np.int64), rest]))
    return np.concatenate(blocks)


def n_count_vectors(n: int, parts: int) -> int:
    return math.comb(n + parts - 1, parts - 1)


def answer_classes(prep: Prepared) -> tuple[list[np.ndarray], list[np.ndarray], list[float | None]]:
    """Per prompt: class sizes and class mean truth for its distinct answers (first-seen order), and
    the size / mean truth of the no-answer class (``None`` if every response has an answer)."""
    if prep.answers is None:
        raise ValueError(
            "majority vote needs an 'answer' column in the pool (the extracted final answer of each response)"
        )
    sizes, means, missing = [], [], []
    for p in range(prep.n_prompts):
        m = int(prep.sizes[p])
        codes: dict[Hashable, int] = {}
        code = np.empty(m, dtype=np.int64)
        for j, value in enumerate(prep.answers[p, :m]):
            code[j] = -1 if _is_missing(value) else codes.setdefault(value, len(codes))
        t = prep.truth[p, :m]
        answered = code >= 0
        counts = np.bincount(code[answered], minlength=len(codes)).astype(np.float64)
        sums = np.bincount(code[answered], weights=t[answered], minlength=len(codes))
        no_answer = int((~answered).sum())
        sizes.append(np.append(counts, no_answer) if no_answer else counts)
        means.append(sums / np.maximum(counts, 1))
        missing.append(float(t[~answered].mean()) if no_answer else None)
    return sizes, means, missing


def majority_vote_feasible(prep: Prepared, n: int, classes: tuple | None = None) -> bool:
    sizes, _, _ = classes if classes is not None else answer_classes(prep)
    return all(n_count_vectors(n, len(s)) <= MAX_COUNT_VECTORS for s in sizes)


def _shares(counts: np.ndarray, n_answers: int) -> tuple[np.ndarray, np.ndarray]:
    """Winner shares over the answer classes ``(V, K)`` and the all-unanswered indicator ``(V,)``."""
    votes = counts[:, :n_answers]
    top = votes.max(axis=1, keepdims=True) if n_answers else np.zeros((len(counts), 1), dtype=np.int64)
    tied = (votes == top) & (top > 0)
    share = tied / np.maximum(tied.sum(axis=1, keepdims=True), 1)
    return share, (top[:, 0] == 0)


def majority_vote_value(prep: Prepared, n: int, replace: bool = True, classes: tuple | None = None) -> FloatArray:
    """Exact expected true reward per prompt of majority vote over N draws (see module doc)."""
    sizes, means, missing = classes if classes is not None else answer_classes(prep)
    out = np.empty(prep.n_prompts)
    lf = _log_factorials(max(n, int(prep.sizes.max())))
    groups: dict[tuple[int, bool], list[int]] = {}
    for p, s in enumerate(sizes):
        groups.setdefault((len(s), missing[p] is not None), []).append(p)
    for (parts, has_missing), prompts in groups.items():
        if n_count_vectors(n, parts) > MAX_COUNT_VECTORS:
            raise ValueError(
                f"exact majority vote at N={n} with {parts} answer classes needs "
                f"{n_count_vectors(n, parts)} count vectors (limit {MAX_COUNT_VECTORS}); use Monte Carlo"
            )
        counts = compositions(n, parts)
        n_answers = parts - int(has_missing)
        share, none_answered = _shares(counts, n_answers)
        step = max(1, _CHUNK // len(counts))
        for start in range(0, len(prompts), step):
            block = prompts[start : start + step]
            class_sizes = np.stack([sizes[p] for p in block], axis=1)  # (parts, B)
            m = class_sizes.sum(axis=0)  # (B,)
            if replace:
                with np.errstate(divide="ignore"):
                    logf = np.log(class_sizes / m)  # (parts, B); every class is non-empty
                logp = lf[n] - lf[counts].sum(axis=1, keepdims=True) + counts @ logf
            else:
                cs = class_sizes.astype(np.int64)
                logp = np.zeros((len(counts), len(block)))
                for j in range(parts):
                    logp += _log_choose(lf, cs[j][None, :], counts[:, j : j + 1])
                logp -= _log_choose(lf, m.astype(np.int64), np.full(len(block), n))[None, :]
            prob = np.exp(logp)  # (V, B)
            class_means = np.stack([means[p] for p in block], axis=1)  # (K, B)
            value = share @ class_means
            if has_missing:
                fallback = np.array([missing[p] for p in block])
                value = value + none_answered[:, None] * fallback[None, :]
            out[block] = (prob * value).sum(axis=0)
    return out
