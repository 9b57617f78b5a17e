"""``math500``: the 500-problem MATH subset of PRM800K (competition mathematics, LaTeX answers).

The reference is the dataset's ``answer`` string. From a response we take the last ``\\boxed{...}``
(balanced braces); failing that, what follows the last "answer is". Correctness is symbolic
equivalence via ``math-verify`` (:func:`~pessimism.rewards.verifier.math_match`, extra ``[math]``),
or, for word answers only (``\\text{Evelyn}``, ``(C)``), equal normalized text.
"""

from __future__ import annotations

import re
from typing import Any

from ..rewards.verifier import math_match, normalize_text
from ._extract import last_boxed
from .base import JsonlTask, TaskItem

FILENAME = "math500_test.jsonl"
PROMPT_SUFFIX = "Solve the problem step by step and put your final answer within \\boxed{}."

_ANSWER_IS = re.compile(r"answer\s*(?:is|:)\s*\$?([^\n$]+)", re.IGNORECASE)
_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}")


def extract_math_answer(response: str) -> str | None:
    """The final answer of a solution (module docstring), or ``None``."""
    boxed = last_boxed(response)
    if boxed is not None:
        return boxed
    found = _ANSWER_IS.findall(response)
    return found[-1].strip().rstrip(".") if found else None


def _word_answer(latex: str) -> str | None:
    """Normalized text of a word answer (``\\text{Evelyn}``, ``(C)``), ``None`` for math answers."""
    plain = _TEXT.sub(r"\1", latex).strip()
    if re.search(r"[\\\d^_=+\-*/<>]", plain) or not re.search(r"[A-Za-z]", plain):
        return None
    return normalize_text(plain)


class Math500Task(JsonlTask):
    name = "math500"
    filename = FILENAME
    required = ("problem", "solution", "answer", "unique_id")

    def make_item(self, index: int, row: dict[str, Any]) -> TaskItem:
        return TaskItem(
            prompt_id=row["unique_id"],
            prompt=row["problem"].strip() + "\n" + PROMPT_SUFFIX,
            answers=(row["answer"],),
            meta={"solution": row["solution"], "subject": row.get("subject", ""), "level": row.get("level")},
        )

    def extract_answer(self, response: str) -> str | None:
        return extract_math_answer(response)

    def answer_key(self, answer: str) -> str:
        return re.sub(r"\s+", "", answer.replace("\\dfrac", "\\frac").replace("\\left", "").replace("\\right", ""))

    def is_correct(self, answer: str, item: TaskItem) -> bool:
        for ref in item.answers:
            word = _word_answer(ref)
            if word is not None and word == _word_answer(answer):
                return True
            if math_match(answer, ref):
                return True
        return False
