"""The pool: M sampled responses per prompt with proxy and true rewards, grouped by prompt.

A pool is the offline stand-in for the reference policy (DESIGN.md section 4): every method at every
budget N is evaluated by drawing its N candidates from a prompt's pool. Prompts may have different
pool sizes, so per-prompt columns are padded arrays of shape ``(P, M_max)`` with a boolean ``mask``
(``True`` = a real response), the convention of the selection core.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Pool:
    """Responses grouped by prompt, as padded arrays.

    Attributes:
        prompt_ids: one id per prompt, in order of first appearance in the file.
        proxy: ``(P, M)`` proxy rewards (padding slots hold 0.0 and are never read).
        truth: ``(P, M)`` true rewards.
        mask: ``(P, M)`` booleans, ``True`` for a real response.
        answers: ``(P, M)`` object array of extracted answers (``None`` = no answer / padding), or
            ``None`` when the pool has no answer column.
        columns: every other column, padded to ``(P, M)`` (object arrays, ``None`` in padding):
            ``response``, ``prompt``, ``num_tokens``, ``logprob``, extra reward columns, ...
        proxy_name, truth_name: the column names the rewards came from (written back by
            :func:`~pessimism.lab.write_pool`).
        source: where the pool came from (a path, or ``"<memory>"``), used in messages.
        n_dropped: rows removed by ``drop_invalid`` when loading.
    """

    prompt_ids: tuple[Hashable, ...]
    proxy: FloatArray
    truth: FloatArray
    mask: BoolArray
    answers: np.ndarray | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    proxy_name: str = "proxy_reward"
    truth_name: str = "true_reward"
    source: str = "<memory>"
    n_dropped: int = 0

    def __post_init__(self) -> None:
        proxy = np.asarray(self.proxy, dtype=np.float64)
        truth = np.asarray(self.truth, dtype=np.float64)
        mask = np.asarray(self.mask)
        if mask.dtype != np.bool_:
            raise ValueError(f"Pool.mask must be boolean; got dtype {mask.dtype}")
        if proxy.ndim != 2 or proxy.shape != truth.shape or proxy.shape != mask.shape:
            raise ValueError(
                f"Pool.proxy, truth and mask must share one 2-D shape (prompts, responses); got "
                f"{proxy.shape}, {truth.shape}, {mask.shape}"
            )
        if proxy.shape[0] == 0:
            raise ValueError(f"the pool from {self.source} is empty: it has no prompts")
        if len(self.prompt_ids) != proxy.shape[0]:
            raise ValueError(f"Pool has {len(self.prompt_ids)} prompt_ids for {proxy.shape[0]} prompts")
        empty = ~mask.any(axis=1)
        if empty.any():
            i = int(np.argmax(empty))
            raise ValueError(f"prompt {self.prompt_ids[i]!r} has no responses in the pool from {self.source}")
        for name, values in (("proxy", proxy), ("truth", truth)):
            bad = mask & ~np.isfinite(values)
            if bad.any():
                p, j = (int(v) for v in np.argwhere(bad)[0])
                raise ValueError(
                    f"Pool.{name} has a non-finite value at prompt {self.prompt_ids[p]!r}, response {j}"
                )
        for name, arr in [("answers", self.answers), *self.columns.items()]:
            if arr is not None and np.shape(arr) != proxy.shape:
                raise ValueError(f"Pool column {name!r} has shape {np.shape(arr)}, expected {proxy.shape}")
        object.__setattr__(self, "proxy", np.where(mask, proxy, 0.0))
        object.__setattr__(self, "truth", np.where(mask, truth, 0.0))
        object.__setattr__(self, "mask", mask)

    # -- shape ---------------------------------------------------------------------------------------
    @property
    def n_prompts(self) -> int:
        return int(self.proxy.shape[0])

    @property
    def sizes(self) -> NDArray[np.int64]:
        """Pool size M_p of each prompt."""
        return self.mask.sum(axis=1).astype(np.int64)

    @property
    def n_responses(self) -> int:
        return int(self.mask.sum())

    def __repr__(self) -> str:
        sizes = self.sizes
        size = f"{sizes.min()}" if sizes.min() == sizes.max() else f"{sizes.min()}..{sizes.max()}"
        return (
            f"Pool({self.n_prompts} prompts x {size} responses, proxy={self.proxy_name!r}, "
            f"truth={self.truth_name!r}, answers={'yes' if self.answers is not None else 'no'}, "
            f"source={self.source!r})"
        )

    # -- derived pools -------------------------------------------------------------------------------
    def subset(self, prompts: ArrayLike) -> Pool:
        """The pool restricted to the prompts at the given positions (in that order)."""
        idx = np.asarray(prompts, dtype=np.int64).reshape(-1)
        if idx.size == 0:
            raise ValueError("subset needs at least one prompt index")
        if idx.min() < 0 or idx.max() >= self.n_prompts:
            raise ValueError(f"prompt indices must lie in [0, {self.n_prompts}); got {idx.min()}..{idx.max()}")
        width = int(self.sizes[idx].max())
        cut = (idx, slice(0, width))
        return replace(
            self,
            prompt_ids=tuple(self.prompt_ids[i] for i in idx),
            proxy=self.proxy[cut],
            truth=self.truth[cut],
            mask=self.mask[cut],
            answers=None if self.answers is None else self.answers[cut],
            columns={k: v[cut] for k, v in self.columns.items()},
        )

    def with_proxy(self, column: str) -> Pool:
        """The same pool scored by another numeric column (e.g. a second reward model).

        The old proxy moves into ``columns`` so nothing is lost.
        """
        if column == self.proxy_name:
            return self
        if column not in self.columns:
            raise ValueError(
                f"the pool has no column {column!r}; columns: {', '.join(sorted(self.columns)) or 'none'}"
            )
        values = _numeric_padded(self.columns[column], self.mask, column)
        columns = {k: v for k, v in self.columns.items() if k != column}
        columns[self.proxy_name] = _to_object(self.proxy, self.mask)
        return replace(self, proxy=values, columns=columns, proxy_name=column)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per response (the file layout), prompt by prompt."""
        out: list[dict[str, Any]] = []
        for p, pid in enumerate(self.prompt_ids):
            for j in np.flatnonzero(self.mask[p]):
                row: dict[str, Any] = {"prompt_id": pid}
                for name, arr in self.columns.items():
                    row[name] = _plain(arr[p, j])
                row[self.proxy_name] = float(self.proxy[p, j])
                row[self.truth_name] = float(self.truth[p, j])
                if self.answers is not None:
                    row["answer"] = _plain(self.answers[p, j])
                out.append(row)
        return out

    # -- construction --------------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        proxy: ArrayLike,
        truth: ArrayLike,
        *,
        mask: ArrayLike | None = None,
        answers: ArrayLike | None = None,
        prompt_ids: Sequence[Hashable] | None = None,
        **columns: ArrayLike,
    ) -> Pool:
        """Build a pool from ``(P, M)`` arrays (a 1-D array is one prompt)."""
        r = np.atleast_2d(np.asarray(proxy, dtype=np.float64))
        t = np.atleast_2d(np.asarray(truth, dtype=np.float64))
        m = np.ones(r.shape, dtype=bool) if mask is None else np.atleast_2d(np.asarray(mask))
        ids = tuple(range(r.shape[0])) if prompt_ids is None else tuple(prompt_ids)
        ans = None if answers is None else np.atleast_2d(np.asarray(answers, dtype=object))
        if ans is not None and ans.shape == m.shape:
            ans = np.where(m, ans, None)
        extra = {k: np.atleast_2d(np.asarray(v, dtype=object)) for k, v in columns.items()}
        return cls(prompt_ids=ids, proxy=r, truth=t, mask=m, answers=ans, columns=extra)


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars, so rows serialize cleanly."""
    return value.item() if isinstance(value, np.generic) else value


def _to_object(values: FloatArray, mask: BoolArray) -> np.ndarray:
    out = np.empty(values.shape, dtype=object)
    out[mask] = values[mask].tolist()
    return out


def _numeric_padded(values: np.ndarray, mask: BoolArray, name: str) -> FloatArray:
    out = np.zeros(mask.shape)
    for p, j in np.argwhere(mask):
        v = values[p, j]
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise ValueError(f"column {name!r} has a non-numeric value {v!r} (prompt {p}, response {j})")
        if not np.isfinite(v):
            raise ValueError(f"column {name!r} has a non-finite value {v!r} (prompt {p}, response {j})")
        out[p, j] = float(v)
    return out


def group_by_prompt(prompt_ids: Sequence[Hashable]) -> tuple[tuple[Hashable, ...], NDArray[np.int64], NDArray[np.int64], int]:
    """Map each row to ``(prompt position, slot within the prompt)``.

    Returns ``(unique ids in order of first appearance, prompt index per row, slot per row, M_max)``.
    Slots keep the rows' order within each prompt.
    """
    codes: dict[Hashable, int] = {}
    prompt = np.fromiter((codes.setdefault(pid, len(codes)) for pid in prompt_ids), dtype=np.int64,
                         count=len(prompt_ids))
    counts = np.bincount(prompt, minlength=len(codes))
    order = np.argsort(prompt, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.empty(len(prompt), dtype=np.int64)
    slot[order] = np.arange(len(prompt)) - np.repeat(starts, counts)
    return tuple(codes), prompt, slot, int(counts.max()) if len(counts) else 0
