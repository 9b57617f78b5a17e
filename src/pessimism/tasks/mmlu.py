"""``mmlu_stem``: MMLU test questions from 18 STEM subjects (3018 four-way multiple choice).

The prompt lists the choices as ``A. ... D. ...`` and asks for the letter. From a response we take,
in order: the letter after "answer is" / "answer:"; a response that is exactly one choice's text
(when the choices are known, as in ``true_reward``); a response that starts with a lone letter
followed by punctuation ("C", "(C)", "C." or "C) ...", but not "A DNA sequence..."). Anything else
is no answer (``None``). The reference is the letter of the dataset's ``answer`` index.
"""

from __future__ import annotations

import re
from typing import Any

from .base import JsonlTask, TaskItem

FILENAME = "mmlu_stem_test.jsonl"
LETTERS = "ABCD"
PROMPT_SUFFIX = "Answer with the letter (A, B, C or D) only."

_ANSWER_IS = re.compile(r"(?i:answer)\s*(?:is|:)?\s*(?:(?i:option)\s*)?[(\[]?\s*([A-D])\b(?![.'’]\w)")
_LEADING = re.compile(r"^\s*[(\[*]*\s*([A-D])\s*(?:[).\]:*]|$)")


def _loose(text: str) -> str:
    """Case and spacing folded, a final period dropped; not :func:`normalize_text`, whose article
    removal would equate "P(A|B)" with "P(B|A)"."""
    return " ".join(text.casefold().split()).rstrip(".").strip()


def format_question(question: str, choices: list[str]) -> str:
    lines = [question.strip(), ""]
    lines += [f"{letter}. {choice}" for letter, choice in zip(LETTERS, choices)]
    return "\n".join([*lines, "", PROMPT_SUFFIX])


def extract_letter(response: str, choices: list[str] | None = None) -> str | None:
    """The chosen letter A-D (module docstring), or ``None``."""
    found = _ANSWER_IS.findall(response)
    if found:
        return found[-1]
    if choices:
        text = _loose(response)
        matches = [LETTERS[i] for i, c in enumerate(choices) if _loose(c) == text and text]
        if len(matches) == 1:
            return matches[0]
    m = _LEADING.match(response)
    return m.group(1) if m else None


class MMLUStemTask(JsonlTask):
    name = "mmlu_stem"
    filename = FILENAME
    required = ("question", "choices", "answer")

    def make_item(self, index: int, row: dict[str, Any]) -> TaskItem:
        choices, answer = row["choices"], row["answer"]
        if len(choices) != 4 or not isinstance(answer, int) or not 0 <= answer < 4:
            raise ValueError(f"{FILENAME} row {index + 1}: need 4 choices and an answer index 0-3")
        return TaskItem(
            prompt_id=f"mmlu_stem/{index:04d}",
            prompt=format_question(row["question"], choices),
            answers=(LETTERS[answer],),
            meta={"subject": row.get("type", ""), "choices": tuple(choices)},
        )

    def extract_answer(self, response: str) -> str | None:
        return extract_letter(response)

    def true_reward(self, item: TaskItem, response: str) -> float:
        letter = extract_letter(response, list(item.meta["choices"]))
        return 1.0 if letter is not None and self.is_correct(letter, item) else 0.0

    def answer_key(self, answer: str) -> str:
        return answer.strip().upper()

    def is_correct(self, answer: str, item: TaskItem) -> bool:
        return answer.strip().upper() in item.answers
