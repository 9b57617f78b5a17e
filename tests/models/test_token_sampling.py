"""The numpy next-token sampler shared by the llama.cpp and transformers policies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from pessimism.models._sampling import _nucleus, log_softmax, sample_next

logit_vectors = arrays(
    np.float64, st.integers(2, 50), elements=st.floats(-30, 30, allow_nan=False, allow_infinity=False)
)


@given(logit_vectors, st.floats(-100, 100))
def test_log_softmax_normalizes_and_ignores_shifts(z: np.ndarray, shift: float) -> None:
    ls = log_softmax(z)
    assert np.isclose(np.exp(ls).sum(), 1.0, atol=1e-9)
    np.testing.assert_allclose(log_softmax(z + shift), ls, atol=1e-8)


@given(logit_vectors, st.floats(0.05, 1.0))
def test_nucleus_is_the_smallest_top_set_reaching_top_p(z: np.ndarray, top_p: float) -> None:
    p = np.exp(log_softmax(z))
    keep = _nucleus(p, top_p)
    mass = p[keep].sum()
    assert mass >= top_p - 1e-9
    # minimal: dropping its least likely member falls below top_p
    assert mass - p[keep].min() < top_p + 1e-9
    # made of the most likely tokens: nothing outside is more likely than something inside
    outside = np.setdiff1d(np.arange(p.size), keep)
    if outside.size:
        assert p[outside].max() <= p[keep].min() + 1e-12


@settings(max_examples=60)
@given(
    logit_vectors,
    st.one_of(st.just(0.0), st.floats(0.05, 3.0)),
    st.floats(0.05, 1.0),
    st.integers(0, 2**32 - 1),
)
def test_sample_reports_raw_logprob_stays_in_nucleus_and_is_seeded(
    z: np.ndarray, temperature: float, top_p: float, seed: int
) -> None:
    tok, lp = sample_next(z, temperature, top_p, np.random.default_rng(seed))
    assert 0 <= tok < z.size
    assert lp == pytest.approx(log_softmax(z)[tok], abs=1e-9)  # the model's own (T=1) log-prob
    if temperature > 0:
        q = np.exp(log_softmax(z / temperature))
        assert tok in set(_nucleus(q, top_p).tolist())
    else:
        assert tok == int(np.argmax(z))
    assert sample_next(z, temperature, top_p, np.random.default_rng(seed)) == (tok, lp)


@given(logit_vectors, st.floats(1e-300, 1e-6))
def test_a_tiny_temperature_acts_like_greedy(z: np.ndarray, temperature: float) -> None:
    others = z[z < z.max()]
    # tokens whose gap to the max exceeds 800 T have weight exp(-800) == 0.0 in float64
    assume(others.size == 0 or z.max() - others.max() > 800 * temperature)
    tok, _ = sample_next(z, temperature, 1.0, np.random.default_rng(0))
    assert z[tok] == z.max()


def test_sampling_frequencies_follow_the_tempered_distribution() -> None:
    z = np.array([2.0, 1.0, 0.0, -1.0, -3.0])
    temperature = 0.7
    rng = np.random.default_rng(0)
    draws = np.array([sample_next(z, temperature, 1.0, rng)[0] for _ in range(20000)])
    expected = np.exp(log_softmax(z / temperature)) * draws.size
    observed = np.bincount(draws, minlength=z.size)
    assert stats.chisquare(observed, expected).pvalue > 1e-4


def test_top_p_truncates_and_renormalizes() -> None:
    z = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    rng = np.random.default_rng(1)
    draws = np.array([sample_next(z, 1.0, 0.8, rng)[0] for _ in range(20000)])
    observed = np.bincount(draws, minlength=4)
    assert observed[2] == 0 and observed[3] == 0  # nucleus {0, 1} has mass 0.8
    assert stats.chisquare(observed[:2], np.array([0.625, 0.375]) * draws.size).pvalue > 1e-4


def test_large_vocabulary_with_small_top_p_uses_a_small_nucleus() -> None:
    rng = np.random.default_rng(2)
    z = rng.normal(size=262_144).astype(np.float32)
    z[123] = 30.0  # one dominant token
    tok, lp = sample_next(z, 1.0, 0.5, np.random.default_rng(3))
    assert tok == 123
    assert lp == pytest.approx(log_softmax(z)[123])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperature": -0.1, "top_p": 1.0}, "temperature"),
        ({"temperature": 1.0, "top_p": 0.0}, "top_p"),
        ({"temperature": 1.0, "top_p": 1.5}, "top_p"),
    ],
)
def test_bad_sampling_parameters_are_rejected(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sample_next(np.zeros(4), rng=np.random.default_rng(0), **kwargs)


def test_garbage_logits_are_rejected() -> None:
    with pytest.raises(ValueError, match="logits"):
        sample_next(np.full(4, -np.inf), 1.0, 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="1-D"):
        sample_next(np.zeros((2, 2)), 1.0, 1.0, np.random.default_rng(0))
