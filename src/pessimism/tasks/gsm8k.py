"""``gsm8k``: grade-school math word problems (OpenAI GSM8K test split, 1319 problems).

The reference answer is the number after ``#### `` in the dataset's solution. From a response we
take, in order: the number after the last ``####``; else the number after the last "answer is";
else the content of the last ``\\boxed{}``; else the last number in the text. Correctness is
:func:`~pessimism.rewards.verifier.numeric_match` (commas, ``$``, ``%``, units and fractions handled).
"""

from __future__ import annotations

import re
from typing import Any

from ..rewards.verifier import numeric_match, parse_number
from ._extract import last_boxed, last_number
from .base import JsonlTask, TaskItem

FILENAME = "gsm8k_test.jsonl"
PROMPT_SUFFIX = "\nSolve the problem step by step, then give the final answer as a number on the last line after '####'."

_HASHES = re.compile(r"####\s*([^\n]*)")
_ANSWER_IS = re.compile(r"answer\s*(?:is|:)\s*([^\n]*)", re.IGNORECASE)


def reference_answer(solution: str) -> str:
    """The number after ``#### `` in a GSM8K solution, thousands commas removed."""
    found = _HASHES.findall(solution)
    if not found:
        raise ValueError(f"GSM8K solution has no '#### <answer>' line: {solution[-80:]!r}")
    return found[-1].strip().replace(",", "")


def extract_number(response: str) -> str | None:
    """The final numeric answer of a response (module docstring), or ``None``."""
    for pattern in (_HASHES, _ANSWER_IS):
        found = pattern.findall(response)
        if found:
            number = last_number(found[-1]) if parse_number(found[-1]) is None else found[-1].strip().rstrip(".")
            if number is not None:
                return number
    boxed = last_boxed(response)
    if boxed is not None and parse_number(boxed) is not None:
        return boxed
    return last_number(response)


class GSM8KTask(JsonlTask):
    name = "gsm8k"
    filename = FILENAME
    required = ("question", "answer")

    def make_item(self, index: int, row: dict[str, Any]) -> TaskItem:
        return TaskItem(
            prompt_id=f"gsm8k/{index:04d}",
            prompt=row["question"].strip() + "\n" + PROMPT_SUFFIX.strip(),
            answers=(reference_answer(row["answer"]),),
            meta={"solution": row["answer"], "question": row["question"]},
        )

    def extract_answer(self, response: str) -> str | None:
        return extract_number(response)

    def answer_key(self, answer: str) -> str:
        value = parse_number(answer)
        return answer.strip() if value is None else repr(round(value, 6))

    def is_correct(self, answer: str, item: TaskItem) -> bool:
        return any(numeric_match(answer, ref) for ref in item.answers)
