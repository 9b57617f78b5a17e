"""The pipeline's commands end to end, as users run them: `pessimism align`, `generate`, `demo`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).parent / "pessimism")
FEWSHOT = ["--policy", "embedded?chat_template=none", "--max-tokens", "8", "--stop", "\n"]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXE, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_align_writes_one_line_per_prompt_and_resumes(tmp_path: Path) -> None:
    args = ["align", "--task", "capitals_fewshot", "--limit", "3", "--n", "4", "--method", "itp", "--beta", "0.5",
            "--reward", "judge:fewshot", *FEWSHOT, "--cache", "c.sqlite", "--out", "out.jsonl"]
    first = cli(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert {"prompt", "response", "method", "n", "candidates", "tokens", "reward", "true_reward"} <= set(row)
        assert row["method"] == "itp" and row["n"] == 4 and row["candidates"] == 4 and row["beta"] == 0.5
        assert row["true_reward"] in (0.0, 1.0)
    assert "mean true reward" in first.stdout
    again = cli(*args, cwd=tmp_path)  # resumed from the cache: nothing generated or scored again
    rows2 = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["response"] for r in rows2] == [r["response"] for r in rows]
    assert all(r["generated"] == 0 and r["reward_calls"] == 0 for r in rows2), again.stderr


def test_generate_writes_a_pool_the_lab_reads(tmp_path: Path) -> None:
    pool = tmp_path / "pool.parquet"
    res = cli("generate", "--task", "capitals_fewshot", "--limit", "2", "--samples", "6",
              "--reward", "judge=judge:fewshot", "--reward", "self_certainty", *FEWSHOT,
              "--cache", "c.sqlite", "--out", str(pool), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    from pessimism.lab import load_pool

    loaded = load_pool(pool)
    assert loaded.n_prompts == 2 and list(loaded.sizes) == [6, 6]
    by_judge = load_pool(pool, proxy="judge")
    assert (by_judge.proxy == loaded.proxy).all()  # proxy_reward is a copy of the first reward column
    lab = cli("lab", str(pool), "--proxy", "self_certainty", "--methods", "bon,itp,uniform", "--n", "1,2,4",
              "--reps", "20", "--out", "lab", cwd=tmp_path)
    assert lab.returncode == 0, lab.stderr
    assert (tmp_path / "lab" / "results.csv").exists()


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    res = cli("demo", "--prompts", "3", "--n", "4", "--samples", "8", "--out", "demo", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    for text in ("Best-of-N answer", "ITP answer", "bon: accuracy", "itp: accuracy", "reward hacking"):
        assert text in res.stdout
    for path in ("demo/pool.parquet", "demo/lab/results.csv", "demo/lab/summary.json", "demo/lab/scaling.png"):
        assert (tmp_path / path).exists(), path


@pytest.mark.parametrize(
    "args,message",
    [
        (["align", "--out", "x.jsonl"], "give exactly one of --task NAME or --prompts FILE"),
        (["align", "--task", "capitals_fewshot", "--method", "nope", "--out", "x.jsonl", *FEWSHOT], "unknown selection method 'nope'"),
        (["align", "--prompts", "missing.txt", "--out", "x.jsonl"], "no such file"),
        (["align", "--task", "capitals_fewshot", "--policy", "bogus:1", "--out", "x.jsonl"], "bogus"),
        (["generate", "--task", "capitals_fewshot", "--samples", "0", *FEWSHOT, "--out", "p.parquet", "--limit", "1"], "samples"),
    ],
)
def test_bad_input_is_a_clear_error(args: list[str], message: str, tmp_path: Path) -> None:
    res = cli(*args, cwd=tmp_path)
    assert res.returncode == 2
    assert message in res.stderr
    assert "Traceback" not in res.stderr
