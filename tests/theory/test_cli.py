"""`pessimism theory` end to end, as a user runs it (a real subprocess of the installed console script)."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from pessimism.theory import bon_value, hacking

CLI = Path(sys.executable).with_name("pessimism")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert CLI.exists(), f"console script missing at {CLI}; install the package (pip install -e '.[all]')"
    return subprocess.run([str(CLI), "theory", *args], capture_output=True, text=True, timeout=300,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_instance_run_writes_csv_and_png(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    done = run("--instance", "hacking", "--n", "1", "--n", "64", "--n", "4096", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    with (tmp_path / "theory.csv").open() as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames[:4] == ["method", "n", "beta", "true_reward"]
        rows = list(reader)
    value = {(r["method"], r["n"]): float(r["true_reward"]) for r in rows}
    inst = hacking()
    assert value[("bon", "64")] == pytest.approx(bon_value(inst.pi_ref, inst.r_hat, inst.r_star, 64), rel=1e-12)
    assert value[("bon", "4096")] < 0.01 < 0.8 < value[("itp", "4096")]
    assert value[("itp", "1")] == pytest.approx(inst.ref_value, abs=1e-12)
    assert value[("itp_alg1", "4096")] > 0.8
    assert {r["beta"] for r in rows if r["method"] == "itp"} == {repr(inst.beta_star)}
    image = mpimg.imread(tmp_path / "theory.png")
    assert image.ndim == 3 and image.shape[0] > 200
    assert "itp_monotone" in done.stdout and "rates" in done.stdout and "0.672" in done.stdout


def test_several_betas_and_no_algorithm1(tmp_path: Path) -> None:
    done = run("--instance", "well_covered", "--beta", "0.01", "--beta", "1", "--n", "2", "--n", "32",
               "--no-algorithm1", "--skip-claims", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "itp_monotone" not in done.stdout
    with (tmp_path / "theory.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["method"] for r in rows} == {"bon", "itp"}
    assert {r["beta"] for r in rows if r["method"] == "itp"} == {"0.01", "1.0"}


def test_claims_mode_and_list() -> None:
    done = run("--claims")
    assert done.returncode == 0, done.stdout + done.stderr
    for key in ("well_covered_bon", "bon_hacks", "itp_monotone", "itp_beats_bon", "itp_to_bon",
                "ratio_bounded", "rates"):
        assert key in done.stdout
    assert "NO" not in done.stdout
    listing = run("--list")
    assert listing.returncode == 0 and "hacking" in listing.stdout and "random:SEED" in listing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--instance", "nope", "--out", "x"), "unknown instance 'nope'"),
        (("--instance", "hacking"), "--out DIR is required"),
        (("--instance", "gem:0.1", "--out", "x"), "eps2 = 0"),
        (("--instance", "hacking", "--beta", "-1", "--out", "x"), "--beta values must be finite and > 0"),
        ((), "pass --instance NAME --out DIR, --claims, or --list"),
    ],
)
def test_errors_are_one_clean_line(args, message) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
