"""Pool files: read JSONL or Parquet, write Parquet, validate on the way in.

One row per response. Required columns: ``prompt_id``, ``response``, a proxy reward column (default
``proxy_reward``) and a true reward column (default ``true_reward``). Optional: ``prompt``, ``answer``
(the extracted final answer, used by the voting rules; null = none extracted), ``num_tokens``,
``logprob`` and any other columns (extra reward columns are kept and can be swapped in with
:meth:`Pool.with_proxy`).

Loading checks every row: a missing or null ``prompt_id``, a reward that is missing, not a number
(strings and booleans are refused, not coerced) or not finite, an answer that is not a scalar. The
error names the file, the row (JSONL: its line number; Parquet: its 0-based row index) and the
column. ``drop_invalid=True`` drops rows with an invalid reward instead and records how many in
``Pool.n_dropped``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._extras import require
from .pool import Pool, group_by_prompt

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")
ANSWER = "answer"
PROMPT_ID = "prompt_id"
REQUIRED_TEXT = ("response",)


class _Table:
    """Columns of a pool file before grouping, with a way to name a row in messages."""

    def __init__(self, path: Path, columns: dict[str, list[Any]], n_rows: int, line_numbers: list[int] | None):
        self.path = path
        self.columns = columns
        self.n_rows = n_rows
        self.line_numbers = line_numbers

    def where(self, row: int, column: str) -> str:
        if self.line_numbers is not None:
            return f"{self.path}, line {self.line_numbers[row]}, column {column!r}"
        return f"{self.path}, row {row} (0-based), column {column!r}"


def _read_jsonl(path: Path) -> _Table:
    columns: dict[str, list[Any]] = {}
    lines: list[int] = []
    with path.open("r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}, line {number}: not valid JSON ({exc.msg}); each line must be one JSON object") from None
            if not isinstance(record, dict):
                raise ValueError(
                    f"{path}, line {number}: expected a JSON object (one response per line), got {type(record).__name__}"
                )
            row = len(lines)
            for key in record.keys() - columns.keys():
                columns[key] = [None] * row
            for key, values in columns.items():
                values.append(record.get(key))
            lines.append(number)
    return _Table(path, columns, len(lines), lines)


def _read_parquet(path: Path) -> _Table:
    pq = require("pyarrow.parquet", "lab", "reading Parquet pool files")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises its own error types for corrupt files
        raise ValueError(f"{path}: cannot read it as Parquet ({exc})") from None
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    return _Table(path, columns, table.num_rows, None)


def _reward(table: _Table, column: str, drop_invalid: bool) -> tuple[np.ndarray, np.ndarray]:
    """Float values and an ``invalid`` mask; without ``drop_invalid`` the first invalid row raises."""
    raw = table.columns[column]
    values = np.zeros(table.n_rows)
    invalid = np.zeros(table.n_rows, dtype=bool)
    for i, v in enumerate(raw):
        problem = None
        if v is None:
            problem = "is missing (null)"
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            problem = f"is {v!r} ({type(v).__name__}), not a number"
        elif not math.isfinite(v):
            problem = f"is {v!r}, not a finite number"
        if problem is None:
            values[i] = v
            continue
        if not drop_invalid:
            raise ValueError(
                f"{table.where(i, column)}: the reward {problem}; fix or rescore that row, or pass "
                "--drop-invalid (drop_invalid=True) to drop such rows"
            )
        invalid[i] = True
    return values, invalid


def _check_answers(table: _Table) -> None:
    for i, v in enumerate(table.columns[ANSWER]):
        if v is not None and not isinstance(v, (str, int, float, bool)):
            raise ValueError(
                f"{table.where(i, ANSWER)}: an answer must be a string or number (or null when none was "
                f"extracted); got {type(v).__name__} {v!r}"
            )


def _build(table: _Table, proxy: str, truth: str, drop_invalid: bool) -> Pool:
    if table.n_rows == 0:
        raise ValueError(f"{table.path}: the pool file has no rows")
    present = sorted(table.columns)
    for column, hint in (
        (PROMPT_ID, "every response needs the id of its prompt"),
        (*REQUIRED_TEXT, "the sampled text"),
        (proxy, "pass --proxy COLUMN (proxy=...) to use another column"),
        (truth, "pass --truth COLUMN (truth=...) to use another column"),
    ):
        if column not in table.columns:
            raise ValueError(
                f"{table.path}: no column {column!r} ({hint}); the file has columns: {', '.join(present)}"
            )
    if proxy == truth:
        raise ValueError(f"proxy and truth are the same column {proxy!r}; the lab compares two different rewards")
    ids = table.columns[PROMPT_ID]
    for i, v in enumerate(ids):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            raise ValueError(f"{table.where(i, PROMPT_ID)}: missing prompt_id; every response needs one")
        if isinstance(v, (list, dict)):
            raise ValueError(f"{table.where(i, PROMPT_ID)}: prompt_id must be a string or number, got {v!r}")
    r, bad_r = _reward(table, proxy, drop_invalid)
    t, bad_t = _reward(table, truth, drop_invalid)
    if ANSWER in table.columns:
        _check_answers(table)
    keep = ~(bad_r | bad_t)
    n_dropped = int((~keep).sum())
    if not keep.any():
        raise ValueError(f"{table.path}: every row has an invalid reward; nothing is left to evaluate")
    rows = np.flatnonzero(keep)
    kept_ids = [ids[i] for i in rows]
    unique, prompt, slot, width = group_by_prompt(kept_ids)
    shape = (len(unique), width)
    mask = np.zeros(shape, dtype=bool)
    mask[prompt, slot] = True
    proxy_arr = np.zeros(shape)
    truth_arr = np.zeros(shape)
    proxy_arr[prompt, slot] = r[rows]
    truth_arr[prompt, slot] = t[rows]
    others: dict[str, np.ndarray] = {}
    for name, values in table.columns.items():
        if name in (PROMPT_ID, proxy, truth):
            continue
        padded = np.full(shape, None, dtype=object)
        column = np.empty(len(rows), dtype=object)
        column[:] = [values[i] for i in rows]
        padded[prompt, slot] = column
        others[name] = padded
    answers = others.pop(ANSWER, None)
    return Pool(
        prompt_ids=unique,
        proxy=proxy_arr,
        truth=truth_arr,
        mask=mask,
        answers=answers,
        columns=others,
        proxy_name=proxy,
        truth_name=truth,
        source=str(table.path),
        n_dropped=n_dropped,
    )


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    with path.open("rb") as handle:
        if handle.read(4) == b"PAR1":
            return "parquet"
    raise ValueError(
        f"{path}: unknown pool file type {suffix!r}; use JSON lines ({', '.join(JSONL_SUFFIXES)}) or Parquet "
        f"({', '.join(PARQUET_SUFFIXES)})"
    )


def load_pool(
    path: str | Path,
    proxy: str = "proxy_reward",
    truth: str = "true_reward",
    drop_invalid: bool = False,
) -> Pool:
    """Read a pool file (JSON lines or Parquet) and group its rows by ``prompt_id``.

    Args:
        path: the file; the format follows the suffix (``.jsonl``/``.ndjson``/``.json`` or
            ``.parquet``/``.pq``; a Parquet file is also recognized by its magic bytes).
        proxy: the column holding the proxy reward the rules select on.
        truth: the column holding the true reward they are judged by.
        drop_invalid: drop rows whose proxy or true reward is missing, non-numeric or not finite
            (counted in ``Pool.n_dropped``) instead of raising.

    Raises:
        ValueError: naming the file, row and column of the first problem.
    """
    p = Path(path)
    if not p.exists():
        raise ValueError(f"pool file {p} does not exist")
    if p.is_dir():
        raise ValueError(f"pool path {p} is a directory; pass a .jsonl or .parquet file")
    table = _read_jsonl(p) if _kind(p) == "jsonl" else _read_parquet(p)
    return _build(table, proxy, truth, drop_invalid)


def write_pool(records: Sequence[dict[str, Any]] | Pool, path: str | Path) -> Path:
    """Write a pool as Parquet: one row per response.

    ``records`` is either a :class:`Pool` or a list of dicts with at least ``prompt_id`` (the
    generation pipeline writes ``prompt_id, prompt, response, <proxy columns>, true_reward, answer,
    num_tokens, logprob``). Every value of a column must have one type (nulls allowed).
    """
    pa = require("pyarrow", "lab", "writing Parquet pool files")
    pq = require("pyarrow.parquet", "lab", "writing Parquet pool files")
    out = Path(path)
    if out.suffix.lower() not in PARQUET_SUFFIXES:
        raise ValueError(f"write_pool writes Parquet; give the path a .parquet suffix (got {out.name!r})")
    rows = records.rows() if isinstance(records, Pool) else list(records)
    if not rows:
        raise ValueError("write_pool got no records; a pool needs at least one response")
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"records[{i}] is a {type(row).__name__}, not a dict")
        if row.get(PROMPT_ID) is None:
            raise ValueError(f"records[{i}] has no prompt_id; every response needs the id of its prompt")
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    arrays = {}
    for name in names:
        try:
            arrays[name] = pa.array([row.get(name) for row in rows])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ValueError(
                f"column {name!r} mixes types across records ({exc}); give every record the same type there"
            ) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(arrays), out)
    return out
