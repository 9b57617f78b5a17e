"""``load_reward(spec)``: every form of the grammar, and clear errors for bad specs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pessimism.rewards import CallableReward, SelfCertaintyReward, load_reward
from pessimism.tasks.base import TaskReward


@pytest.fixture()
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "my_rewards.py").write_text(
        textwrap.dedent(
            """
            def length(prompt, response):
                return float(len(response))

            def batch_length(prompts, responses):
                return [float(len(r)) for r in responses]

            class Ready:
                name = "ready"
                async def ascore(self, prompts, responses):
                    return [1.0] * len(responses)
                def score(self, prompts, responses):
                    return [1.0] * len(responses)

            READY = Ready()
            NOT_CALLABLE = 3
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "my_rewards"


def test_python_specs(user_module: str) -> None:
    per_pair = load_reward(f"python:{user_module}:length")
    assert isinstance(per_pair, CallableReward) and not per_pair.batched
    assert per_pair.name == f"python:{user_module}:length"
    assert per_pair.score(["q", "q"], ["ab", "abcd"]) == [2.0, 4.0]
    batch = load_reward(f"python:{user_module}:batch_length#batch")
    assert batch.score(["q", "q"], ["ab", "abcd"]) == [2.0, 4.0]
    ready = load_reward(f"python:{user_module}:READY")
    assert ready.name == "ready"
    with pytest.raises(ValueError, match="is not callable"):
        load_reward(f"python:{user_module}:NOT_CALLABLE")
    with pytest.raises(ValueError, match="has no attribute 'missing'"):
        load_reward(f"python:{user_module}:missing")
    with pytest.raises(ValueError, match="cannot import module 'no_such_module_xyz'"):
        load_reward("python:no_such_module_xyz:f")
    with pytest.raises(ValueError, match="unknown flag 'batched'"):
        load_reward(f"python:{user_module}:length#batched")


def test_other_specs() -> None:
    assert isinstance(load_reward("self_certainty"), SelfCertaintyReward)
    truth = load_reward("verifier:capitals")
    assert isinstance(truth, TaskReward) and truth.name == "verifier:capitals"
    assert truth.score(["What is the capital of France? Answer with the city name only."], ["Paris"]) == [1.0]
    with pytest.raises(ValueError, match="unknown task 'atlantis'"):
        load_reward("verifier:atlantis")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "it is empty"),
        ("bogus", "unknown kind 'bogus'"),
        ("hf:", "give a model directory"),
        ("self_certainty:x", "takes no argument"),
        ("python:justamodule", r"python:<module>:<function>"),
        ("verifier:", "name the task"),
    ],
)
def test_bad_specs_name_the_problem_and_the_grammar(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        load_reward(spec)
    assert "Valid forms: judge | judge:<template>" in str(info.value)
