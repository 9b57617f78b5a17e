"""The README's examples run, in order, as a user would paste them; its two set-up commands are the
ones CI and users run."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BIN = Path(sys.executable).parent
NOT_RUN_SECTIONS = ("## Set-up: two commands", "## Install")


def runnable_blocks() -> list[tuple[str, str]]:
    """(language, code) of every python/bash block outside the set-up and install sections."""
    blocks = []
    for section in re.split(r"\n(?=## )", README):
        if section.startswith(NOT_RUN_SECTIONS):
            continue
        blocks += re.findall(r"```(python|bash)\n(.*?)```", section, flags=re.S)
    return blocks


@pytest.fixture(scope="module")
def embedded_proxy():
    sys.path.insert(0, str(ROOT / "tests" / "server"))
    from serve_helpers import start_proxy_process

    proc = start_proxy_process("--n", "4", "--max-tokens", "8")
    yield proc
    proc.stop()


def test_readme_examples_run_in_order(tmp_path: Path, embedded_proxy) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PESSIMISM_URL": embedded_proxy.url + "/v1"}
    blocks = runnable_blocks()
    assert sum(lang == "python" for lang, _ in blocks) >= 4 and sum(lang == "bash" for lang, _ in blocks) >= 4
    for lang, code in blocks:
        if lang == "python":
            cmd = [sys.executable, "-c", code]
            commands = [cmd]
        else:
            commands = [["bash", "-c", line] for line in code.strip().splitlines() if line.startswith("pessimism ")]
        for cmd in commands:
            result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
            shown = cmd[-1] if lang == "bash" else code
            assert result.returncode == 0, f"README {lang} example failed:\n{shown}\n{result.stderr[-3000:]}"
    # what the examples promise to leave behind
    for path in ("pool.parquet", "lab-out/results.csv", "lab-out/scaling.png", "aligned.jsonl",
                 "small-pool.parquet", "small-lab/summary.json", "theory-out/theory.csv"):
        assert (tmp_path / path).exists(), path


def test_setup_section_gives_exactly_two_commands() -> None:
    section = README.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
    assert "pessimism\" demo" in (ROOT / "scripts" / "demo.sh").read_text()


def test_inline_rules_command_runs() -> None:
    """The `pessimism rules ...` command quoted inline in the README prose runs."""
    for line in re.findall(r"`(pessimism rules[^`]*)`", README):
        result = subprocess.run([str(BIN / "pessimism"), *shlex.split(line)[1:]], capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        assert "itp" in result.stdout
