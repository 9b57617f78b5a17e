"""The README's paper-scale recipe, at small scale on CPU: an OpenAI-compatible server as the policy
(llama-cpp-python's server on the embedded GGUF stands in for vLLM: same protocol, same adapter), a
Hugging Face sequence-classification reward model (a tiny one built here from a config), GSM8K with
its verifier, `pessimism generate`, then `pessimism lab` with tuning on a calibration split."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")
from fixtures_hf import save_tiny_llama_rm  # noqa: E402

EXE = str(Path(sys.executable).parent / "pessimism")


def test_recipe_runs_end_to_end_at_small_scale(llama_server, tmp_path: Path) -> None:
    rm_dir = save_tiny_llama_rm(tmp_path / "tiny-rm")
    pool = tmp_path / "gsm8k-pool.parquet"
    gen = subprocess.run(
        [EXE, "generate", "--task", "gsm8k", "--limit", "4", "--samples", "2",
         "--policy", f"openai:{llama_server.base_url}", "--reward", f"rm=hf:{rm_dir}",
         "--max-tokens", "8", "--concurrency", "4", "--cache", str(tmp_path / "cache.sqlite"), "--out", str(pool)],
        capture_output=True, text=True, timeout=900,
    )
    assert gen.returncode == 0, gen.stderr
    lab = subprocess.run(
        [EXE, "lab", str(pool), "--proxy", "rm", "--methods", "bon,itp,majority_vote,uniform,oracle",
         "--beta", "auto", "--normalize", "zscore", "--reps", "20", "--n", "1,2", "--out", str(tmp_path / "lab")],
        capture_output=True, text=True, timeout=600,
    )
    assert lab.returncode == 0, lab.stderr
    summary = json.loads((tmp_path / "lab" / "summary.json").read_text())
    assert summary["pool"]["n_prompts"] == 4 and summary["split"] != "all"  # tuned on calibration prompts
    rows = (tmp_path / "lab" / "results.csv").read_text().splitlines()
    assert rows[0].startswith("method,") and any(r.startswith("itp,") for r in rows[1:])
