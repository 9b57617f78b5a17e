"""An LLM judge: the reward is how much more the judge believes "yes" than "no".

For each (prompt, response) pair the judge model sees a verification prompt built from a template
(the question and the proposed answer) and we read the log-probabilities of its first token:

    score = logsumexp_{t in YES} log p(t | judge prompt) - logsumexp_{t in NO} log p(t | judge prompt)

``YES`` / ``NO`` are case and leading-space variants ("yes", "Yes", "YES", " yes", ...): a model may
answer "Yes" or " yes", and these are different tokens, so their probabilities are summed
(log-sum-exp) before comparing; when the backend can say which token a string starts with
(``first_token_id``), variants sharing a first token are counted once. The score is the judge's log-odds of "yes" against "no",
restricted to those two answers; it lies in ``(-inf, inf)`` and is finite whenever at least one
variant of each is a token of the judge's vocabulary (variants that are not single tokens get
``-inf`` from the backend and simply drop out of the sum).

Any backend implementing :class:`~pessimism.models.base.NextTokenScorer` can judge — by default the
embedded Gemma 3 270M policy itself. Templates are named (:data:`TEMPLATES`: ``default``; a
differently worded ``strict``, so experiments can use two distinct judge signals; ``fewshot`` for
base models fed plain text) or given as text with ``{question}`` and ``{answer}`` placeholders. The
question is the prompt's last user message; a few-shot prompt ending ``Q: <question>\nA:`` is
reduced to that last question (see :func:`~pessimism.rewards._common.question_text`).

Measured on the embedded Gemma 3 270M (a *base* model): with its Gemma turn format the ``default``
and ``strict`` templates are at chance on capitals (correct vs. another country's capital: 9/20 and
13/20 pairs ordered right); ``fewshot`` on plain text (``chat_template="none"``) orders 27/40 right:
an informative but imperfect proxy reward.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..models.base import NextTokenScorer, Prompt
from ._common import SyncScoreMixin, _short, check_scores, question_text
from .base import check_pairs

YES_VARIANTS: tuple[str, ...] = ("yes", "Yes", "YES", " yes", " Yes", " YES")
NO_VARIANTS: tuple[str, ...] = ("no", "No", "NO", " no", " No", " NO")

_PLACEHOLDER = re.compile(r"\{(question|answer)\}")


@dataclass(frozen=True)
class JudgeTemplate:
    """A verification prompt with ``{question}`` and ``{answer}`` placeholders.

    Rendering substitutes both placeholders in a single pass, so braces inside questions or answers
    (LaTeX, code) are left alone.
    """

    name: str
    text: str

    def __post_init__(self) -> None:
        found = set(_PLACEHOLDER.findall(self.text))
        if found != {"question", "answer"}:
            raise ValueError(
                f"judge template {self.name!r} must contain both {{question}} and {{answer}}; "
                f"found {sorted(found) or 'neither'}"
            )

    def render(self, question: str, answer: str) -> str:
        values = {"question": question.strip(), "answer": answer.strip()}
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:8]


TEMPLATES: dict[str, JudgeTemplate] = {
    "default": JudgeTemplate(
        "default",
        "Question: {question}\nProposed answer: {answer}\n"
        "Is the proposed answer correct? Answer yes or no.",
    ),
    # For base (not instruction-tuned) models fed plain text, such as the embedded Gemma 3 270M with
    # chat_template="none": four worked examples (none of them a country of the capitals task)
    # make "Correct: yes/no" the natural continuation.
    "fewshot": JudgeTemplate(
        "fewshot",
        "Question: What is the capital of Scotland?\nProposed answer: Edinburgh\nCorrect: yes\n\n"
        "Question: How many legs does a spider have?\nProposed answer: 6\nCorrect: no\n\n"
        "Question: What is 7 + 5?\nProposed answer: 12\nCorrect: yes\n\n"
        "Question: What is the capital of Greenland?\nProposed answer: Madrid\nCorrect: no\n\n"
        "Question: {question}\nProposed answer: {answer}\nCorrect:",
    ),
    "strict": JudgeTemplate(
        "strict",
        "You are a strict grader checking a student's reply.\n\n"
        "Problem: {question}\n\nStudent's reply: {answer}\n\n"
        "Is the student's reply exactly right? Reply with a single word, yes or no.",
    ),
}


def get_template(template: str | JudgeTemplate) -> JudgeTemplate:
    """A template by name (see :data:`TEMPLATES`), or custom text with ``{question}``/``{answer}``."""
    if isinstance(template, JudgeTemplate):
        return template
    if template in TEMPLATES:
        return TEMPLATES[template]
    if "{question}" in template or "{answer}" in template:
        return JudgeTemplate("custom", template)
    raise ValueError(
        f"unknown judge template {template!r}; use one of {sorted(TEMPLATES)} or give template text "
        "containing {question} and {answer}"
    )


def _logsumexp(values: Sequence[float]) -> float:
    finite = [v for v in values if v != -math.inf]
    if not finite:
        return -math.inf
    top = max(finite)
    return top + math.log(sum(math.exp(v - top) for v in finite))


class JudgeReward(SyncScoreMixin):
    """LLM-as-judge reward: ``logsumexp(yes variants) - logsumexp(no variants)`` (module docstring).

    Args:
        policy: any backend with ``anext_token_logprobs`` (e.g. ``LlamaCppPolicy``).
        template: a :data:`TEMPLATES` name or template text.
        yes_tokens / no_tokens: the variants whose probabilities are summed.
        batch_size: judge prompts sent to the backend per call (``None``: all at once).
    """

    def __init__(
        self,
        policy: NextTokenScorer,
        template: str | JudgeTemplate = "default",
        *,
        yes_tokens: Sequence[str] = YES_VARIANTS,
        no_tokens: Sequence[str] = NO_VARIANTS,
        batch_size: int | None = None,
    ) -> None:
        if not hasattr(policy, "anext_token_logprobs"):
            raise ValueError(
                f"the judge needs a backend that returns next-token log-probabilities "
                f"(anext_token_logprobs); {type(policy).__name__} does not. Use the embedded llama_cpp "
                "policy, or another reward model (see pessimism.rewards.load_reward)"
            )
        if not yes_tokens or not no_tokens or set(yes_tokens) & set(no_tokens):
            raise ValueError("yes_tokens and no_tokens must be non-empty and disjoint")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None; got {batch_size}")
        self.policy = policy
        self.template = get_template(template)
        self.yes_tokens = self._distinct(tuple(yes_tokens))
        self.no_tokens = self._distinct(tuple(no_tokens))
        self.batch_size = batch_size

    def _distinct(self, variants: tuple[str, ...]) -> tuple[str, ...]:
        """Drop variants that share a first token with an earlier one (a backend that scores a string
        by its first token would otherwise count that token twice); needs ``policy.first_token_id``."""
        first_id = getattr(self.policy, "first_token_id", None)
        if first_id is None:
            return variants
        seen: dict[int, str] = {}
        for v in variants:
            seen.setdefault(first_id(v), v)
        return tuple(seen.values())

    @property
    def name(self) -> str:
        policy_name = getattr(self.policy, "name", type(self.policy).__name__)
        return f"judge:{self.template.name}:{self.template.digest}@{policy_name}"

    def judge_prompts(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[str]:
        """The verification prompts the judge model is asked (one user message each)."""
        check_pairs(prompts, responses)
        return [self.template.render(question_text(p), r) for p, r in zip(prompts, responses)]

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        judge_prompts = self.judge_prompts(prompts, responses)
        if not judge_prompts:
            return []
        tokens = list(self.yes_tokens + self.no_tokens)
        step = self.batch_size or len(judge_prompts)
        logprobs: list[dict[str, float]] = []
        for start in range(0, len(judge_prompts), step):
            chunk = judge_prompts[start : start + step]
            got = await self.policy.anext_token_logprobs(chunk, tokens)
            if len(got) != len(chunk):
                raise ValueError(
                    f"{type(self.policy).__name__}.anext_token_logprobs returned {len(got)} results for "
                    f"{len(chunk)} prompts"
                )
            logprobs.extend(got)
        scores = []
        for i, lp in enumerate(logprobs):
            yes = _logsumexp([lp.get(t, -math.inf) for t in self.yes_tokens])
            no = _logsumexp([lp.get(t, -math.inf) for t in self.no_tokens])
            if yes == -math.inf or no == -math.inf:
                missing = "yes" if yes == -math.inf else "no"
                raise ValueError(
                    f"judge {self.name!r}: none of the {missing!r} variants "
                    f"{self.yes_tokens if missing == 'yes' else self.no_tokens} is a possible first token "
                    f"for pair {i} (response {_short(responses[i])}); pass yes_tokens/no_tokens that are "
                    "single tokens of this model's vocabulary"
                )
            scores.append(yes - no)
        return check_scores(scores, prompts, responses, self.name)
