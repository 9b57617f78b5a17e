"""Shared pieces of the reward adapters: the sync ``score`` wrapper and score validation.

Every adapter returns scores through :func:`check_scores`, so a reward model can never hand the
selection core a NaN, an infinity, a string or the wrong number of scores: the error names the pair.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence

from ..models.base import Prompt, as_messages, run_sync


class SyncScoreMixin:
    """Gives an adapter the sync ``score`` wrapper of its async ``ascore``."""

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        raise NotImplementedError

    def score(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        """Sync wrapper of :meth:`ascore` (refuses inside a running event loop: await ``ascore``)."""
        return run_sync(self.ascore(prompts, responses))


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_scores(
    scores: Sequence[object], prompts: Sequence[Prompt], responses: Sequence[str], source: str
) -> list[float]:
    """Validate one batch of scores and return them as Python floats.

    Raises ValueError if the count differs from the number of pairs, if a score is not a real number
    (``bool`` counts as 0/1, a verifier's natural output), or if it is NaN/infinite — naming the pair
    (index, prompt, response) and the reward model ``source``.
    """
    if isinstance(scores, (str, bytes)) or not hasattr(scores, "__len__"):
        raise ValueError(f"reward model {source!r} must return a sequence of floats; got {_short(scores)}")
    if len(scores) != len(responses):
        raise ValueError(
            f"reward model {source!r} returned {len(scores)} scores for {len(responses)} (prompt, response) "
            "pairs; it must return exactly one score per pair, in order"
        )
    out: list[float] = []
    for i, s in enumerate(scores):
        if not isinstance(s, numbers.Real):
            raise ValueError(
                f"reward model {source!r} returned a non-numeric score {_short(s)} for pair {i} "
                f"(prompt {_short(prompts[i])}, response {_short(responses[i])}); return a float"
            )
        value = float(s)
        if not math.isfinite(value):
            raise ValueError(
                f"reward model {source!r} returned a non-finite score ({value}) for pair {i} "
                f"(prompt {_short(prompts[i])}, response {_short(responses[i])}); scores must be finite "
                "floats — fix or clip the reward model"
            )
        out.append(value)
    return out


_FEWSHOT_TAIL = re.compile(r"(?:^|\n)Q:[ \t]*(?P<q>[^\n]+)\nA:[ \t]*$")


def question_text(prompt: Prompt) -> str:
    """The question a prompt asks: the string itself, or the content of the last user message.

    A few-shot completion prompt (``Q: ...\\nA: ...`` examples ending in ``Q: <question>\\nA:``, as
    used with base models) is reduced to its last question, so judges and reward models see the
    question rather than the worked examples.
    """
    messages = as_messages(prompt)
    for message in reversed(messages):
        if message["role"] == "user":
            text = message["content"]
            fewshot = _FEWSHOT_TAIL.search(text.rstrip())
            return fewshot.group("q").strip() if fewshot else text
    raise ValueError(f"a chat prompt needs at least one user message; got roles {[m['role'] for m in messages]}")
