"""Deduplicated scoring and Python callables as reward models (all real code paths, no mocks)."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pessimism.models.base import Completion
from pessimism.rewards import CallableReward, SelfCertaintyReward, score_unique, unique_pairs


class Counter:
    """A per-pair reward that records every pair it is asked to score."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, str]] = []

    def __call__(self, prompt: object, response: str) -> float:
        self.calls.append((prompt, response))
        return float(len(response))


def test_score_unique_scores_each_distinct_pair_once() -> None:
    counter = Counter()
    model = CallableReward(counter, name="len")
    prompts = ["p1", "p1", "p1", "p2", "p2", [{"role": "user", "content": "p1"}]]
    responses = ["Paris", "Paris", "Lyon", "Paris", "Paris", "Paris"]
    scores = score_unique(model, prompts, responses)
    assert scores == [5.0, 5.0, 4.0, 5.0, 5.0, 5.0]
    # (p1, Paris), (p1, Lyon), (p2, Paris) and the chat-form p1 (a different prompt) -> 4 calls
    assert len(counter.calls) == 4
    assert counter.calls[0] == ("p1", "Paris")


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["x", "y", "z", "x "])), max_size=30))
def test_unique_pairs_inverse_reconstructs_input(pairs: list[tuple[str, str]]) -> None:
    prompts = [p for p, _ in pairs]
    responses = [r for _, r in pairs]
    first, inverse = unique_pairs(prompts, responses)
    assert len(first) == len(set(pairs))
    assert [pairs[first[u]] for u in inverse] == pairs


def test_score_unique_rejects_non_finite_naming_the_pair() -> None:
    model = CallableReward(lambda p, r: math.nan if r == "bad" else 1.0, name="nan-on-bad")
    with pytest.raises(ValueError, match=r"non-finite score \(nan\) for pair 1 .*'bad'"):
        score_unique(model, ["q", "q", "q"], ["ok", "bad", "ok"])
    inf_model = CallableReward(lambda p, r: -math.inf, name="neg-inf")
    with pytest.raises(ValueError, match="neg-inf"):
        inf_model.score(["q"], ["r"])


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="2 prompts and 1 responses"):
        score_unique(CallableReward(lambda p, r: 0.0, name="z"), ["a", "b"], ["x"])


def test_callable_shapes() -> None:
    prompts, responses = ["a", "b", "c"], ["x", "yy", "zzz"]

    async def per_pair_async(p: str, r: str) -> float:
        await asyncio.sleep(0)
        return len(r) * 10.0

    def batch_sync(ps: list[str], rs: list[str]) -> np.ndarray:
        return np.array([len(p) + len(r) for p, r in zip(ps, rs)], dtype=np.float32)

    async def batch_async(ps: list[str], rs: list[str]) -> list[float]:
        return [float(len(r)) for r in rs]

    assert CallableReward(per_pair_async).score(prompts, responses) == [10.0, 20.0, 30.0]
    assert CallableReward(batch_sync, batched=True).score(prompts, responses) == [2.0, 3.0, 4.0]
    assert CallableReward(batch_async, batched=True).score(prompts, responses) == [1.0, 2.0, 3.0]
    assert CallableReward(lambda p, r: r == "yy").score(prompts, responses) == [0.0, 1.0, 0.0]
    assert CallableReward(per_pair_async).name.endswith(":test_callable_shapes.<locals>.per_pair_async")


def test_callable_bad_outputs() -> None:
    with pytest.raises(ValueError, match="returned 1 scores for 2"):
        CallableReward(lambda ps, rs: [1.0], batched=True, name="short").score(["a", "b"], ["x", "y"])
    with pytest.raises(ValueError, match="non-numeric score 'high' for pair 0"):
        CallableReward(lambda p, r: "high", name="str").score(["a"], ["x"])
    with pytest.raises(ValueError, match="must be callable"):
        CallableReward(42)  # type: ignore[arg-type]


def test_async_per_pair_concurrency_is_bounded() -> None:
    state = {"now": 0, "peak": 0}

    async def slow(p: str, r: str) -> float:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await asyncio.sleep(0.01)
        state["now"] -= 1
        return 1.0

    CallableReward(slow, max_concurrency=3).score(["p"] * 12, [str(i) for i in range(12)])
    assert state["peak"] == 3


def test_sync_wrapper_refuses_inside_event_loop() -> None:
    model = CallableReward(lambda p, r: 1.0, name="one")

    async def inside() -> None:
        with pytest.raises(RuntimeError, match="await the async variant"):
            model.score(["a"], ["b"])
        assert await model.ascore(["a"], ["b"]) == [1.0]

    asyncio.run(inside())


def test_self_certainty_from_completions_through_dedup() -> None:
    model = SelfCertaintyReward()
    completions = [
        Completion("Paris", 2, logprob=-1.0),
        Completion("Paris", 2, logprob=-1.0),
        Completion("Lyon", 4, logprob=-6.0),
    ]
    prompts = ["q"] * 3
    scores = score_unique(model, prompts, [c.text for c in completions], completions=completions)
    assert scores == [-0.5, -0.5, -1.5]
    with pytest.raises(ValueError, match="carries no log-probabilities"):
        score_unique(model, ["q"], ["x"], completions=[Completion("x", 3)])
    with pytest.raises(ValueError, match="has no tokens"):
        score_unique(model, ["q"], [""], completions=[Completion("", 0, logprob=0.0)])
    assert score_unique(SelfCertaintyReward(empty_score=-10.0), ["q"], [""], completions=[Completion("", 0)]) == [-10.0]
    # bare strings need a policy that can teacher-force
    with pytest.raises(ValueError, match="aresponse_logprobs"):
        model.score(["q"], ["Paris"])


def test_self_certainty_by_teacher_forcing() -> None:
    class TeacherForcing:
        name = "tf"

        async def aresponse_logprobs(self, prompts: list[str], responses: list[str]) -> list[tuple[float, int]]:
            return [(-float(len(r)), len(r)) for r in responses]

    model = SelfCertaintyReward(TeacherForcing())
    assert model.name == "self_certainty@tf"
    assert model.score(["q", "q"], ["ab", "abcd"]) == [-1.0, -1.0]
