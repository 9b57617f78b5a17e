"""`pessimism lab` end to end, as a user runs it: a subprocess on pool files written here."""

from __future__ import annotations

import csv
import json
import os
import math
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from pessimism.lab import evaluate, load_pool, make_pool, write_pool

PESSIMISM = Path(sys.executable).with_name("pessimism")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PESSIMISM), "lab", *args], capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "100"},
    )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def pool_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pools")
    pool = make_pool(24, 64, seed=7)
    parquet = write_pool(pool, root / "pool.parquet")
    jsonl = root / "pool.jsonl"
    with jsonl.open("w") as handle:
        for row in pool.rows():
            handle.write(json.dumps({**row, "score": row["proxy_reward"]}) + "\n")
    return {"parquet": parquet, "jsonl": jsonl}


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_lab_end_to_end(pool_files: dict[str, Path], tmp_path: Path, kind: str) -> None:
    out = tmp_path / "out"
    proc = _run(str(pool_files[kind]), "--out", str(out), "--methods", "bon,itp,uniform,oracle,majority_vote",
                "--n", "1,4,16,64", "--beta", "0.5,2", "--reps", "20", "--seed", "3",
                *(["--proxy", "score"] if kind == "jsonl" else []))
    assert proc.returncode == 0, proc.stderr
    assert "mean true reward" in proc.stdout and "reward hacking" in proc.stdout
    rows = _read_csv(out / "results.csv")
    assert {"method", "n", "beta", "mean_true_reward", "stderr", "lift", "compute"} <= set(rows[0])
    # the CSV holds the library's numbers: exact rows recomputed in-process must agree to the digit
    pool = load_pool(pool_files["parquet"])
    reference = evaluate(pool, methods=["bon", "oracle"], n_grid=[1, 4, 16, 64])
    for method in ("bon", "oracle"):
        for n in (1, 4, 16, 64):
            (row,) = [r for r in rows if r["method"] == method and r["n"] == str(n)]
            assert float(row["mean_true_reward"]) == pytest.approx(reference.find(method, n)["mean_true_reward"],
                                                                 rel=1e-12)
            assert row["beta"] == "" and float(row["compute"]) == n
    itp = [r for r in rows if r["method"] == "itp"]
    assert {r["beta"] for r in itp} == {"0.5", "2.0"} and all(float(r["stderr"]) > 0 for r in itp)
    assert [r["n"] for r in rows if r["method"] == "bon"] == ["1", "4", "16", "64", "inf"]
    uniform = {float(r["mean_true_reward"]) for r in rows if r["method"] == "uniform"}
    assert len(uniform) == 1  # the pool mean at every N
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pool"]["n_prompts"] == 24 and summary["pool"]["n_responses"] == 24 * 64
    assert 0 < summary["coverage"]["share_prompts_with_correct"] <= 1
    assert summary["rm_error"]["eps2"] > 0
    bon = summary["reward_hacking"]["bon"]
    assert bon["peak_n"] in (4, 16) and bon["last_n"] == 64 and bon["drop"] > 0
    image = mpimg.imread(out / "scaling.png")
    assert image.ndim == 3 and image.shape[0] > 200


def test_lab_tuning_and_compute_axis(pool_files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "tuned"
    proc = _run(str(pool_files["parquet"]), "--out", str(out), "--methods", "itp,itp_alg1,bon", "--beta", "auto",
                "--n", "2,8,32", "--reps", "10", "--x", "compute", "--calib-frac", "0.25", "--no-limit",
                "--tune-bon-n")
    assert proc.returncode == 0, proc.stderr
    rows = _read_csv(out / "results.csv")
    assert {r["split"] for r in rows} == {"heldout"} and {r["n_prompts"] for r in rows} == {"18"}
    summary = json.loads((out / "summary.json").read_text())
    chosen = summary["tuning"]["itp"]["chosen"]
    assert set(chosen) == {"2", "8", "32"}
    for n, beta in chosen.items():
        (row,) = [r for r in rows if r["method"] == "itp" and r["n"] == n]
        assert float(row["beta"]) == pytest.approx(beta) and row["tuned"] == "True"
    alg1 = [float(r["compute"]) for r in rows if r["method"] == "itp_alg1"]
    assert all(c > n for c, n in zip(alg1, (2, 8, 32)))
    assert not [r for r in rows if math.isinf(float(r["n"]))]
    assert "tuned itp" in proc.stdout
    mpimg.imread(out / "scaling.png")


def test_bad_pool_file_gives_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"prompt_id": 1, "response": "a", "proxy_reward": 0.1, "true_reward": 1}\n'
        '{"prompt_id": 1, "response": "b", "proxy_reward": "high", "true_reward": 0}\n'
    )
    proc = _run(str(bad), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "line 2, column 'proxy_reward'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()
    proc = _run(str(bad), "--out", str(tmp_path / "o"), "--drop-invalid", "--n", "1,2", "--methods", "bon")
    assert proc.returncode == 0, proc.stderr
    assert "dropped 1 rows" in proc.stdout
    missing = _run(str(tmp_path / "nope.parquet"), "--out", str(tmp_path / "o2"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    wrong = _run(str(bad), "--out", str(tmp_path / "o3"), "--truth", "verdict")
    assert wrong.returncode == 2 and "no column 'verdict'" in wrong.stderr
