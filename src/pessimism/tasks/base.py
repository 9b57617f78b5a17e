"""Tasks with ground truth: prompts, accepted answers, answer extraction and the true reward.

A :class:`Task` gives the pipeline its prompts (:meth:`Task.items`), the voting rules their answer
(:meth:`Task.extract_answer`, grouped by :meth:`Task.answer_key`), and the lab its true reward
(:meth:`Task.true_reward`, 1.0 or 0.0; :meth:`Task.reward_model` wraps it as a RewardModel).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from ..models.base import Prompt, prompt_key
from ..rewards._common import SyncScoreMixin, check_scores
from ..rewards.base import check_pairs
from ..rewards.verifier import normalize_text


@dataclass(frozen=True)
class TaskItem:
    """One prompt with its accepted reference answers.

    Attributes:
        prompt_id: stable identifier (ISO alpha-3 code, dataset id or row number).
        prompt: the user message sent to the policy.
        answers: accepted reference answers (at least one).
        meta: anything else (subject, level, the reference solution, notes).
    """

    prompt_id: str
    prompt: str
    answers: tuple[str, ...]
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.answers, str) or not isinstance(self.answers, tuple):
            object.__setattr__(self, "answers", (self.answers,) if isinstance(self.answers, str) else tuple(self.answers))
        if not self.answers or not all(isinstance(a, str) and a.strip() for a in self.answers):
            raise ValueError(f"task item {self.prompt_id!r} needs at least one non-empty reference answer")
        object.__setattr__(self, "meta", dict(self.meta))  # a private copy (plain dict: picklable, JSON-able)


class Task(ABC):
    """A benchmark with ground truth. Subclasses set ``name`` and implement the three methods."""

    name: str = ""

    @abstractmethod
    def items(self) -> list[TaskItem]:
        """All items, in a deterministic order."""

    @abstractmethod
    def extract_answer(self, response: str) -> str | None:
        """The answer a response commits to, or ``None`` if it gives none."""

    @abstractmethod
    def is_correct(self, answer: str, item: TaskItem) -> bool:
        """Whether an extracted answer matches one of ``item.answers``."""

    def answer_key(self, answer: str) -> str:
        """Canonical form under which answers are counted as the same vote (default: normalized text)."""
        return normalize_text(answer)

    def true_reward(self, item: TaskItem, response: str) -> float:
        """1.0 if the response's extracted answer is correct for ``item``, else 0.0."""
        answer = self.extract_answer(response)
        return 1.0 if answer is not None and self.is_correct(answer, item) else 0.0

    def item_for_prompt(self, prompt: Prompt) -> TaskItem:
        """The item whose prompt is ``prompt`` (ValueError if none)."""
        index = self.__dict__.get("_by_prompt")
        if index is None:
            index = self.__dict__["_by_prompt"] = {prompt_key(it.prompt): it for it in self.items()}
        try:
            return index[prompt_key(prompt)]
        except KeyError:
            raise ValueError(f"prompt {prompt_key(prompt)!r:.100} is not an item of task {self.name!r}") from None

    def reward_model(self) -> TaskReward:
        """The true reward as a RewardModel (for pools and ``--reward verifier:<task>``)."""
        return TaskReward(self)

    def __iter__(self) -> Iterator[TaskItem]:
        return iter(self.items())

    def __len__(self) -> int:
        return len(self.items())


class TaskReward(SyncScoreMixin):
    """``Task.true_reward`` as a RewardModel, looking each prompt up among the task's items."""

    def __init__(self, task: Task) -> None:
        self.task = task

    @property
    def name(self) -> str:
        return f"verifier:{self.task.name}"

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        check_pairs(prompts, responses)
        scores = [self.task.true_reward(self.task.item_for_prompt(p), r) for p, r in zip(prompts, responses)]
        return check_scores(scores, prompts, responses, self.name)


def read_jsonl(filename: str) -> list[dict[str, Any]]:
    """Rows of a JSONL file shipped in ``pessimism/tasks/data/`` (ValueError naming a bad line)."""
    path = resources.files("pessimism.tasks").joinpath("data", filename)
    rows = []
    with path.open("r", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{filename} line {lineno} is not valid JSON: {exc}") from exc
    return rows


def require_fields(row: Mapping[str, Any], fields: Sequence[str], filename: str, lineno: int) -> None:
    missing = [f for f in fields if f not in row]
    if missing:
        raise ValueError(f"{filename} row {lineno} lacks field(s) {missing}; has {sorted(row)}")


class JsonlTask(Task):
    """A task whose items come from one JSONL file shipped in ``pessimism/tasks/data`` (read once,
    on first use). Subclasses set ``filename`` and ``required`` and build each item."""

    filename: str = ""
    required: tuple[str, ...] = ()

    def __init__(self) -> None:
        self._items: list[TaskItem] | None = None

    @abstractmethod
    def make_item(self, index: int, row: dict[str, Any]) -> TaskItem:
        """The item of row ``index`` (0-based), whose ``required`` fields are present."""

    def items(self) -> list[TaskItem]:
        if self._items is None:
            items = []
            for i, row in enumerate(read_jsonl(self.filename)):
                require_fields(row, self.required, self.filename, i + 1)
                items.append(self.make_item(i, row))
            self._items = items
        return list(self._items)
