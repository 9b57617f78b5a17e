"""The disk cache: what goes in comes out, keyed by everything that changes a generation or score."""

from __future__ import annotations

from pathlib import Path

from pessimism.align.cache import DiskCache, generation_key, score_key
from pessimism.models.base import Completion, SamplingParams


def test_round_trip_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "cache.sqlite"
    params = SamplingParams(seed=3)
    c = Completion(text=" Paris", num_tokens=2, logprob=-0.5, token_logprobs=(-0.2, -0.3), finish_reason="stop")
    key = generation_key("policy-a", "Q: France?", params, 0)
    with DiskCache(path) as cache:
        cache.put_generations([(key, c)])
        cache.put_scores([(score_key("judge", "Q: France?", " Paris"), 1.25)])
    with DiskCache(path) as cache:  # a new process would see the same
        assert cache.get_generations([key, "missing"]) == {key: c}
        assert cache.get_scores([score_key("judge", "Q: France?", " Paris")]) == {
            score_key("judge", "Q: France?", " Paris"): 1.25
        }
        assert cache.counts() == (1, 1)


def test_keys_separate_what_changes_the_output() -> None:
    base = generation_key("p", "x", SamplingParams(seed=0), 0)
    assert base != generation_key("p", "x", SamplingParams(seed=1), 0)
    assert base != generation_key("p", "x", SamplingParams(seed=0, temperature=0.5), 0)
    assert base != generation_key("p", "x", SamplingParams(seed=0), 1)
    assert base != generation_key("q", "x", SamplingParams(seed=0), 0)
    assert base != generation_key("p", [{"role": "user", "content": "x"}], SamplingParams(seed=0), 0)
    assert score_key("a", "x", "y") != score_key("b", "x", "y") != score_key("a", "x", "z")


def test_many_keys_are_fetched_in_chunks(tmp_path: Path) -> None:
    with DiskCache(tmp_path / "c.sqlite") as cache:
        items = [(f"k{i}", float(i)) for i in range(1234)]
        cache.put_scores(items)
        got = cache.get_scores([k for k, _ in items])
    assert len(got) == 1234 and got["k1000"] == 1000.0
