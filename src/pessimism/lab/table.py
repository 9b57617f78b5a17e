"""The lab's tidy result table: one row per (method, setting, N), plus the per-prompt values behind it.

Statistics of a row, over its P prompts with per-prompt values ``v_p`` (exact, or Monte Carlo means of
R replicates with variance ``s_p^2 / R``):

* ``mean_true_reward = mean_p v_p``
* ``stderr = sd_p(v_p) / sqrt(P)``: the standard error across prompts. For Monte Carlo rows the
  sample variance of the ``v_p`` estimates ``Var_between + mean_p(s_p^2)/R``, so the Monte Carlo
  error is already folded in (with P = 1 it is the Monte Carlo error alone).
* ``mc_stderr = sqrt(sum_p s_p^2 / R) / P``: the Monte Carlo error of the mean by itself (0 if exact);
  the yardstick for comparing a Monte Carlo row with an exact value on the same prompts.
* ``lift = mean_p (v_p - pool mean_p)`` over the pool mean (N = 1), ``lift_stderr`` from the paired
  per-prompt differences (much smaller than ``stderr``).
* ``compute``: expected candidates generated per prompt (N for one-pool rules, more for Algorithm 1).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .pool import FloatArray

COLUMNS = (
    "method",
    "setting",
    "n",
    "beta",
    "param_name",
    "param",
    "mean_true_reward",
    "stderr",
    "mc_stderr",
    "lift",
    "lift_stderr",
    "compute",
    "tokens",
    "exact",
    "reps",
    "n_prompts",
    "split",
    "tuned",
)


def across_prompts(values: FloatArray, mc_var: FloatArray) -> tuple[float, float, float]:
    """``(mean, stderr, mc_stderr)`` of per-prompt values (see the module doc)."""
    p = len(values)
    mc = float(math.sqrt(mc_var.sum()) / p)
    if p < 2:
        return float(values.mean()), mc, mc
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(p)), mc


@dataclass
class LabTable:
    """Rows (dicts with :data:`COLUMNS`) and, aligned with them, each row's per-prompt values.

    ``tuning`` holds the parameters chosen on the calibration split (empty when nothing was tuned);
    ``prompt_ids`` the prompts the rows average over.
    """

    rows: list[dict[str, Any]]
    per_prompt: list[FloatArray]
    prompt_ids: tuple[object, ...]
    pool_mean: FloatArray
    tuning: dict[str, Any] = field(default_factory=dict)
    calibration_prompts: tuple[object, ...] = ()

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.rows[i]

    def __repr__(self) -> str:
        methods = sorted({r["method"] for r in self.rows})
        return f"LabTable({len(self.rows)} rows, methods={methods}, prompts={len(self.prompt_ids)})"

    def to_rows(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.rows]

    def column(self, name: str) -> list[Any]:
        return [r[name] for r in self.rows]

    def find(self, method: str, n: float, setting: str | None = None) -> dict[str, Any]:
        """The single row of ``method`` at budget ``n`` (and ``setting``, when several exist)."""
        hits = [
            r for r in self.rows
            if r["method"] == method and r["n"] == n and (setting is None or r["setting"] == setting)
        ]
        if len(hits) != 1:
            raise KeyError(f"{len(hits)} rows match method={method!r}, n={n}, setting={setting!r}")
        return hits[0]

    def values_of(self, row: dict[str, Any]) -> FloatArray:
        """Per-prompt values behind a row."""
        for r, v in zip(self.rows, self.per_prompt):
            if r is row:
                return v
        raise KeyError("row is not part of this table")

    def to_csv(self, path: str | Path) -> Path:
        """Write the rows as CSV (``None`` -> empty cell, ``inf`` -> ``inf``)."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), extrasaction="ignore")
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: _cell(row.get(k)) for k in COLUMNS})
        return out


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (np.floating, np.integer)):
        return _cell(value.item())
    return value
