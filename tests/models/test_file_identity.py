"""Model-file identity: sha256 of the bytes, computed once per (path, size, mtime), kept on disk."""

from __future__ import annotations

import hashlib
import os

import pytest

from pessimism.models import _file_identity as fi


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PESSIMISM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(fi, "_MEMO", {})


def test_digest_is_the_sha256_and_is_remembered_on_disk(tmp_path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"weights v1")
    assert fi.file_sha256(f) == hashlib.sha256(b"weights v1").hexdigest()
    fi._MEMO.clear()  # a new process: only the disk cache is left
    assert fi.known_sha256(f) == hashlib.sha256(b"weights v1").hexdigest()


def test_a_cached_digest_is_used_without_reading_the_file(tmp_path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"x" * 10)
    fi.remember_sha256(f, "recorded-digest")
    assert fi.file_sha256(f) == "recorded-digest"


def test_changing_the_file_forces_a_rehash(tmp_path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"weights v1")
    first = fi.file_sha256(f)
    f.write_bytes(b"weights v2 (longer)")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert fi.file_sha256(f) == hashlib.sha256(b"weights v2 (longer)").hexdigest() != first


def test_a_set_of_files_has_one_order_free_digest(tmp_path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.json"
    a.write_bytes(b"A")
    b.write_bytes(b"B")
    before = fi.files_sha256([a, b])
    assert before == fi.files_sha256([b, a])
    b.write_bytes(b"B2")
    st = b.stat()
    os.utime(b, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert fi.files_sha256([a, b]) != before


def test_missing_file_is_a_value_error(tmp_path) -> None:
    with pytest.raises(ValueError, match="not found"):
        fi.file_sha256(tmp_path / "nope.gguf")
