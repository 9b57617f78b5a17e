"""Answer-level rules: candidates that carry an extracted final answer vote.

``answers`` is shaped like the rewards, ``(..., N)``: one extracted answer per candidate, any hashable
value, with ``None`` (or NaN, or the empty string) meaning "no answer could be extracted". Candidates
without an answer never vote and are never chosen when some candidate has an answer; if a row has no
answer at all, every rule falls back to the reward-free or reward-based choice over all candidates
(stated per rule). Each rule returns a :class:`VoteResult`: the distribution over candidates (rows sum
to 1) and, per row, the winning answer.

Ties between answers split the mass equally between the tied answers (each answer's share is then
spread over its own candidates), so no result depends on the order of candidates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._validate import BoolArray, FloatArray, check_rewards
from .rules import _bon_checked


@dataclass(frozen=True)
class VoteResult:
    """Distribution over candidates and the winning answer of each row.

    Attributes:
        probs: ``(..., N)`` probabilities of returning each candidate.
        winners: object array shaped like the batch: the answer holding the most probability mass
            (the first such answer in candidate order when answers tie; ``None`` when no candidate
            has an answer).
        answer_probs: per row (flattened batch order), a dict answer -> probability of returning it.
    """

    probs: FloatArray
    winners: np.ndarray
    answer_probs: list[dict[Any, float]]


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _factorize(answers: ArrayLike, shape: tuple[int, ...]) -> tuple[np.ndarray, list[list[Any]]]:
    """Row-local integer codes for answers: ``codes[..., i]`` in ``[0, n_distinct)`` or -1 if missing.

    Returns the codes and, per flattened row, the list of distinct answers in order of first
    appearance (so code 0 is the first answer met in the row).
    """
    arr = np.asarray(answers, dtype=object)
    if arr.shape != shape:
        raise ValueError(
            f"answers has shape {arr.shape} but rewards have shape {shape}; give one answer per candidate "
            "(None where no answer was extracted)"
        )
    flat = arr.reshape(-1, shape[-1])
    codes = np.full(flat.shape, -1, dtype=np.int64)
    labels: list[list[Any]] = []
    for row_index, row in enumerate(flat):
        seen: dict[Any, int] = {}
        for i, value in enumerate(row):
            if _is_missing(value):
                continue
            try:
                codes[row_index, i] = seen.setdefault(value, len(seen))
            except TypeError:
                raise ValueError(
                    f"answers[{row_index}][{i}] = {value!r} is not hashable; extract answers as strings "
                    "or numbers"
                ) from None
        labels.append(list(seen))
    return codes.reshape(shape), labels


def _answer_totals(codes: np.ndarray, values: FloatArray) -> FloatArray:
    """Per row, the sum of ``values`` over candidates sharing each answer code: shape ``(..., N)``
    indexed by code (codes are < N). Missing answers (-1) contribute nothing."""
    flat_codes = codes.reshape(-1, codes.shape[-1])
    rows, n = flat_codes.shape
    keep = flat_codes >= 0
    index = (np.arange(rows)[:, None] * n + flat_codes)[keep]
    totals = np.bincount(index, weights=values.reshape(rows, n)[keep], minlength=rows * n)
    return totals.reshape(codes.shape)


def _spread(codes: np.ndarray, answer_mass: FloatArray, within: FloatArray) -> FloatArray:
    """Candidate probabilities from a mass per answer code and a within-answer weighting.

    ``within`` gives non-negative weights per candidate; each answer's mass is split in proportion
    to the weights of its candidates.
    """
    valid = codes >= 0
    safe = np.where(valid, codes, 0)
    within_totals = _answer_totals(codes, within)
    denom = np.take_along_axis(within_totals, safe, axis=-1)
    mass = np.take_along_axis(answer_mass, safe, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(valid & (denom > 0), within / denom, 0.0)
    return mass * share


def _winner_mass(score: FloatArray, present: BoolArray) -> FloatArray:
    """Equal mass on the answers with the highest score among those present."""
    masked = np.where(present, score, -np.inf)
    best = masked.max(axis=-1, keepdims=True)
    tied = present & (masked == best)
    return tied / np.maximum(tied.sum(axis=-1, keepdims=True), 1)


def _result(probs: FloatArray, codes: np.ndarray, labels: list[list[Any]]) -> VoteResult:
    flat_probs = probs.reshape(-1, probs.shape[-1])
    flat_codes = codes.reshape(flat_probs.shape)
    winners = np.empty(flat_probs.shape[0], dtype=object)
    answer_probs: list[dict[Any, float]] = []
    for row, names in enumerate(labels):
        per_answer = {
            name: float(flat_probs[row][flat_codes[row] == code].sum()) for code, name in enumerate(names)
        }
        answer_probs.append(per_answer)
        winners[row] = max(per_answer, key=per_answer.__getitem__) if per_answer else None
    return VoteResult(probs=probs, winners=winners.reshape(probs.shape[:-1])[()], answer_probs=answer_probs)


def _prepare(
    answers: ArrayLike, rewards: ArrayLike | None, mask: ArrayLike | None
) -> tuple[FloatArray, BoolArray, np.ndarray, list[list[Any]], BoolArray]:
    if rewards is None:
        shape = np.shape(np.asarray(answers, dtype=object))
        r, m = check_rewards(np.zeros(shape), mask)
    else:
        r, m = check_rewards(rewards, mask)
    codes, labels = _factorize(answers, r.shape)
    codes = np.where(m, codes, -1)
    has_answer = (codes >= 0).any(axis=-1, keepdims=True)
    return r, m, codes, labels, has_answer


def majority_vote(
    answers: ArrayLike, rewards: ArrayLike | None = None, mask: ArrayLike | None = None
) -> VoteResult:
    """Self-consistency: the most frequent answer wins; its candidates share its mass equally.

    Tied answers split the mass equally. ``rewards`` are not used for the vote; they are accepted (and
    validated) so every rule has the same call shape. A row with no extracted answer returns uniform.
    """
    r, m, codes, labels, has_answer = _prepare(answers, rewards, mask)
    counts = _answer_totals(codes, np.ones_like(r))
    mass = _winner_mass(counts, counts > 0)
    probs = _spread(codes, mass, (codes >= 0).astype(np.float64))
    probs = np.where(has_answer, probs, m / m.sum(axis=-1, keepdims=True))
    return _result(probs, codes, labels)


def weighted_majority_vote(
    answers: ArrayLike,
    rewards: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    weights: Literal["shift", "raw"] = "shift",
) -> VoteResult:
    """Reward-weighted majority vote: the answer with the largest sum of rewards wins.

    Negative rewards: with ``weights="shift"`` (default) each candidate votes with ``r_i - min_j r_j``
    (the row's smallest valid reward), so every vote is >= 0 and the result does not change when a
    constant is added to all rewards, as reward models' offsets are arbitrary; if all shifted
    weights are 0 (equal rewards) the vote falls back to counts. With ``weights="raw"`` rewards are
    summed as they are, so a negative reward counts *against* its answer.

    Within the winning answer, the candidate with the highest reward is returned (ties split). A row
    with no extracted answer falls back to Best-of-N.
    """
    if weights not in ("shift", "raw"):
        raise ValueError(f"weights must be 'shift' or 'raw'; got {weights!r}")
    r, m, codes, labels, has_answer = _prepare(answers, rewards, mask)
    voting = codes >= 0
    if weights == "shift":
        low = np.min(np.where(voting, r, np.inf), axis=-1, keepdims=True)
        votes = np.where(voting, r - low, 0.0)
        degenerate = ~(votes > 0).any(axis=-1, keepdims=True)
        votes = np.where(degenerate, voting.astype(np.float64), votes)
    else:
        votes = np.where(voting, r, 0.0)
    totals = _answer_totals(codes, votes)
    present = _answer_totals(codes, np.ones_like(r)) > 0
    mass = _winner_mass(totals, present)
    probs = _spread(codes, mass, _best_within_answer(r, codes))
    probs = np.where(has_answer, probs, _bon_checked(r, m))
    return _result(probs, codes, labels)


def _best_within_answer(r: FloatArray, codes: np.ndarray) -> FloatArray:
    """Weight 1 on the highest-reward candidate(s) of each answer, 0 elsewhere."""
    flat_codes = codes.reshape(-1, codes.shape[-1])
    rows, n = flat_codes.shape
    flat_r = r.reshape(rows, n)
    keep = flat_codes >= 0
    index = (np.arange(rows)[:, None] * n + np.where(keep, flat_codes, 0))
    best = np.full(rows * n, -np.inf)
    np.maximum.at(best, index[keep], flat_r[keep])
    best_of_own = best[index]
    return (keep & (flat_r == best_of_own)).astype(np.float64).reshape(codes.shape)


def best_of_majority(
    answers: ArrayLike,
    rewards: ArrayLike,
    alpha: float,
    mask: ArrayLike | None = None,
) -> VoteResult:
    """Best-of-Majority: keep the answers whose frequency is at least ``alpha`` (a fraction of the
    row's valid candidates, in (0, 1]), then Best-of-N among their candidates.

    If no answer reaches ``alpha``, Best-of-N among the candidates that have an answer (over all
    candidates if none has).
    """
    if not (isinstance(alpha, (int, float)) and 0 < alpha <= 1):
        raise ValueError(f"alpha must be a frequency in (0, 1]; got {alpha!r}")
    r, m, codes, labels, _ = _prepare(answers, rewards, mask)
    counts = _answer_totals(codes, np.ones_like(r))
    n_valid = m.sum(axis=-1, keepdims=True)
    frequent = counts >= alpha * n_valid - 1e-12 * n_valid
    frequent &= counts > 0
    safe = np.where(codes >= 0, codes, 0)
    eligible = (codes >= 0) & np.take_along_axis(frequent, safe, axis=-1)
    answered = codes >= 0
    fallback = np.where(answered.any(axis=-1, keepdims=True), answered, m)
    probs = _bon_checked(r, np.where(eligible.any(axis=-1, keepdims=True), eligible, fallback))
    return _result(probs, codes, labels)
