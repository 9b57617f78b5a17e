"""The README's examples run, and its two set-up commands are the ones CI and users run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_examples_run(index: int, tmp_path: Path) -> None:
    code = python_blocks()[index]
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"README python block {index} failed:\n{code}\n{result.stderr[-3000:]}"


def test_setup_section_gives_exactly_two_commands() -> None:
    section = README.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci
    for script in ("demo.sh", "test.sh"):
        assert (ROOT / "scripts" / script).exists()


def test_cli_examples_in_readme_run(tmp_path: Path) -> None:
    """Every `pessimism rules ...` line quoted in the README runs (other commands have their own tests)."""
    exe = Path(sys.executable).parent / "pessimism"
    for line in re.findall(r"`(pessimism rules[^`]*)`", README):
        result = subprocess.run([str(exe), *line.split()[1:]], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert "itp" in result.stdout
