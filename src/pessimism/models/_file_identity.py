"""Content identity (sha256) of model files, cached so a multi-GB file is hashed once per version.

A policy's ``name`` goes into every cache key, so it must change when the weights change and must not
depend on where the file lives. Hashing a 4 GB GGUF takes seconds, so digests are memoized in-process
and on disk (``$PESSIMISM_CACHE_DIR/file_sha256.json``, default ``~/.cache/pessimism``), keyed by
``(real path, size, mtime_ns)``: editing or replacing the file changes the key and forces a rehash.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

_MEMO: dict[str, str] = {}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    """Where pessimism keeps small persistent caches (override with ``PESSIMISM_CACHE_DIR``)."""
    return Path(os.environ.get("PESSIMISM_CACHE_DIR", Path.home() / ".cache" / "pessimism")).expanduser()


def _key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _disk_cache() -> Path:
    return cache_dir() / "file_sha256.json"


def _load_disk() -> dict[str, str]:
    try:
        data = json.loads(_disk_cache().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _store_disk(key: str, digest: str) -> None:
    target = _disk_cache()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        data = _load_disk()
        data[key] = digest
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=0, sort_keys=True))
        os.replace(tmp, target)
    except OSError:
        pass  # a read-only home only costs a rehash next time


def remember_sha256(path: str | Path, digest: str) -> None:
    """Record a digest computed (or verified) elsewhere, e.g. by the embedded model's installer."""
    key = _key(Path(path))
    with _LOCK:
        _MEMO[key] = digest
    _store_disk(key, digest)


def known_sha256(path: str | Path) -> str | None:
    """The cached digest of ``path`` if its current (size, mtime) was hashed before, else ``None``."""
    key = _key(Path(path))
    with _LOCK:
        if key in _MEMO:
            return _MEMO[key]
    digest = _load_disk().get(key)
    if digest is not None:
        with _LOCK:
            _MEMO[key] = digest
    return digest


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, computed at most once per (path, size, mtime)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"model file not found: {str(p)!r}; pass the path of an existing file")
    cached = known_sha256(p)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    with p.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    remember_sha256(p, digest)
    return digest


def files_sha256(paths: list[Path]) -> str:
    """One digest for a set of files (e.g. a Hugging Face model directory): sha256 over the sorted
    ``name:sha256`` lines of its files."""
    lines = sorted(f"{p.name}:{file_sha256(p)}" for p in paths)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
