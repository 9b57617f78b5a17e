"""Tasks with ground truth: ``capitals`` (bundled factual QA; ``capitals_strict`` without the marked
countries, ``capitals_fewshot`` prompted for base models), ``gsm8k``, ``math500``, ``mmlu_stem``.

``load_task(name)`` builds one; ``task_names()`` lists them. Modules load lazily, so importing this
package needs neither ``countryinfo`` nor ``math-verify``.
"""

from __future__ import annotations

import importlib

from .base import Task, TaskItem, TaskReward

#: name -> (module, class, keyword arguments)
TASKS: dict[str, tuple[str, str, dict[str, object]]] = {
    "capitals": ("capitals", "CapitalsTask", {}),
    "capitals_strict": ("capitals", "CapitalsTask", {"include_marked": False}),
    "capitals_fewshot": ("capitals", "CapitalsTask", {"style": "fewshot"}),
    "gsm8k": ("gsm8k", "GSM8KTask", {}),
    "math500": ("math500", "Math500Task", {}),
    "mmlu_stem": ("mmlu", "MMLUStemTask", {}),
}


def task_names() -> list[str]:
    """Names accepted by :func:`load_task`."""
    return list(TASKS)


def load_task(name: str) -> Task:
    """The task registered under ``name`` (ValueError listing the names if unknown)."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; available tasks: {', '.join(TASKS)}")
    module_name, class_name, kwargs = TASKS[name]
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, class_name)(**kwargs)


__all__ = ["TASKS", "Task", "TaskItem", "TaskReward", "load_task", "task_names"]
