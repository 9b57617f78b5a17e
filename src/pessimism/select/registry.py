"""One name per selection rule, so the lab, the pipeline, the server and the CLI choose rules by string.

``selection_probs(method, rewards, **params)`` is the stable entry point: it validates the parameter
names against the rule, then returns the rule's distribution over candidates (rows sum to 1).
``select(...)`` samples one candidate index per row from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from numpy.typing import ArrayLike

from ._validate import FloatArray
from .rules import bon, itp, soft_bon, topk, uniform
from .voting import best_of_majority, majority_vote, weighted_majority_vote


@dataclass(frozen=True)
class Rule:
    """A selection rule: its name, what it computes, and which keyword parameters it takes."""

    name: str
    summary: str
    compute: Callable[..., FloatArray]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    needs_answers: bool = False

    def probs(self, rewards: ArrayLike, mask: ArrayLike | None, params: dict[str, Any]) -> FloatArray:
        unknown = sorted(set(params) - set(self.required) - set(self.optional))
        if unknown:
            accepted = ", ".join(self.required + self.optional) or "none"
            raise ValueError(
                f"method {self.name!r} does not take parameter(s) {', '.join(unknown)}; it accepts: {accepted}"
            )
        missing = [name for name in self.required if params.get(name) is None]
        if missing:
            raise ValueError(
                f"method {self.name!r} needs parameter(s) {', '.join(missing)} "
                f"(e.g. selection_probs({self.name!r}, rewards, {missing[0]}=...))"
            )
        return self.compute(rewards, mask=mask, **params)


def _voting(func: Callable[..., Any]) -> Callable[..., FloatArray]:
    def probs(rewards: ArrayLike, mask: ArrayLike | None = None, *, answers: ArrayLike, **kw: Any) -> FloatArray:
        return func(answers, rewards, mask=mask, **kw).probs

    return probs


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("bon", "Best-of-N: the highest proxy reward (ties split)", bon),
        Rule("uniform", "the reference policy: a uniformly random candidate", uniform),
        Rule("itp", "InferenceTimePessimism, pool form: relu((r - lam_hat)/beta)/N", itp, ("beta",)),
        Rule("soft_bon", "Soft Best-of-N: softmax(r / beta)", soft_bon, ("beta",)),
        Rule("topk", "uniform over the k highest rewards", topk, ("k",)),
        Rule("majority_vote", "most frequent extracted answer", _voting(majority_vote), ("answers",),
             needs_answers=True),
        Rule("weighted_majority_vote", "answer with the largest reward sum, then its best candidate",
             _voting(weighted_majority_vote), ("answers",), ("weights",), needs_answers=True),
        Rule("best_of_majority", "answers with frequency >= alpha, then Best-of-N among them",
             _voting(best_of_majority), ("answers", "alpha"), needs_answers=True),
    )
}

SEQUENTIAL_RULES = ("itp_sequential", "kl_rejection")


def get_rule(method: str) -> Rule:
    """Look a rule up by name, with an error that lists the valid names."""
    try:
        return RULES[method]
    except KeyError:
        hint = ""
        if method in SEQUENTIAL_RULES:
            hint = (
                f" {method!r} is a sequential scan whose fallback mass is not a candidate: call "
                f"pessimism.select.{method}(...) directly, which returns probs and fallback separately."
            )
        raise ValueError(
            f"unknown selection method {method!r}; choose one of {', '.join(RULES)}.{hint}"
        ) from None


def selection_probs(method: str, rewards: ArrayLike, *, mask: ArrayLike | None = None, **params: Any) -> FloatArray:
    """Probabilities of returning each candidate under rule ``method``, shape like ``rewards``.

    Parameters: ``beta`` for ``itp`` and ``soft_bon``; ``k`` for ``topk``; ``answers`` (and ``alpha``
    for ``best_of_majority``) for the voting rules. Rows sum to 1; masked slots get 0.
    """
    return get_rule(method).probs(rewards, mask, params)


def sample_index(probs: ArrayLike, rng: np.random.Generator) -> np.ndarray:
    """Draw one index per row from probabilities on the last axis (inverse CDF, vectorized).

    Zero-probability entries are never drawn: the draw is the first index whose cumulative sum
    exceeds ``u * total`` with ``u`` uniform in [0, 1).
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)); got {type(rng).__name__}"
        )
    p = np.asarray(probs, dtype=np.float64)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random(p.shape[:-1] + (1,)) * cdf[..., -1:]
    return np.count_nonzero(cdf <= u, axis=-1)[()]


def select(
    method: str,
    rewards: ArrayLike,
    rng: np.random.Generator,
    *,
    mask: ArrayLike | None = None,
    **params: Any,
) -> np.ndarray:
    """Sample one candidate index per row under rule ``method`` (see :func:`selection_probs`)."""
    return sample_index(selection_probs(method, rewards, mask=mask, **params), rng)
