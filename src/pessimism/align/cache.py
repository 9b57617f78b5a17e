"""A disk cache of generations and scores, so an interrupted run resumes without redoing work.

Generations are keyed by ``(policy name, prompt, sampling parameters, sample index)``: sample ``j`` of a
prompt is drawn with seed ``seed + j``, so asking later for more samples reuses the first ones and
regenerates nothing. Scores are keyed by ``(reward model name, prompt, response)``. Every entry is
written (and committed) as soon as it exists: a crash midway loses only work in flight.

SQLite (standard library) is the store: one file, atomic commits, safe to read while written.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

from ..models.base import Completion, Prompt, SamplingParams, prompt_key


def _digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def generation_key(policy: str, prompt: Prompt, params: SamplingParams, index: int) -> str:
    """Cache key of sample ``index`` of ``prompt`` (the seed is inside ``params``)."""
    return _digest("gen", policy, prompt_key(prompt), params.key(), str(index))


def score_key(reward: str, prompt: Prompt, response: str) -> str:
    """Cache key of one reward-model score."""
    return _digest("score", reward, prompt_key(prompt), response)


class DiskCache:
    """Generations and scores in one SQLite file (created with its parent directory)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS generations (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS scores (key TEXT PRIMARY KEY, value REAL NOT NULL)")

    # generations ----------------------------------------------------------------------------------
    def get_generations(self, keys: Sequence[str]) -> dict[str, Completion]:
        found: dict[str, Completion] = {}
        for chunk in _chunks(keys, 500):
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(
                    f"SELECT key, value FROM generations WHERE key IN ({marks})", chunk
                ).fetchall()
            for key, value in rows:
                data = json.loads(value)
                if data.get("token_logprobs") is not None:
                    data["token_logprobs"] = tuple(data["token_logprobs"])
                found[key] = Completion(**data)
        return found

    def put_generations(self, items: Iterable[tuple[str, Completion]]) -> None:
        rows = [(key, json.dumps(asdict(c))) for key, c in items]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO generations VALUES (?, ?)", rows)

    # scores ----------------------------------------------------------------------------------------
    def get_scores(self, keys: Sequence[str]) -> dict[str, float]:
        found: dict[str, float] = {}
        for chunk in _chunks(keys, 500):
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(f"SELECT key, value FROM scores WHERE key IN ({marks})", chunk).fetchall()
            found.update(rows)
        return found

    def put_scores(self, items: Iterable[tuple[str, float]]) -> None:
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?)", list(items))

    def counts(self) -> tuple[int, int]:
        """Number of cached generations and scores."""
        with self._lock:
            g = self._db.execute("SELECT COUNT(*) FROM generations").fetchone()[0]
            s = self._db.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        return int(g), int(s)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> DiskCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
