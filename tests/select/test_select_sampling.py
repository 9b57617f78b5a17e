"""Sampling one index per row from selection probabilities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pessimism import select
from pessimism.select import sample_index


def test_frequencies_match_probabilities() -> None:
    p = np.array([0.1, 0.0, 0.6, 0.3])
    rng = np.random.default_rng(0)
    draws = sample_index(np.broadcast_to(p, (50_000, 4)), rng)
    counts = np.bincount(draws, minlength=4)
    assert counts[1] == 0  # zero-probability entries are never drawn
    assert stats.chisquare(counts[[0, 2, 3]], 50_000 * p[[0, 2, 3]]).pvalue > 1e-3


def test_select_is_seeded_and_shaped() -> None:
    r = np.random.default_rng(1).normal(size=(5, 3, 8))
    a = select("itp", r, np.random.default_rng(9), beta=0.5)
    b = select("itp", r, np.random.default_rng(9), beta=0.5)
    assert a.shape == (5, 3)
    np.testing.assert_array_equal(a, b)
    assert np.all(select("bon", r, np.random.default_rng(0)) == r.argmax(-1))


def test_masked_slots_are_never_sampled() -> None:
    r = np.zeros((2000, 5))
    mask = np.zeros((2000, 5), dtype=bool)
    mask[:, [1, 3]] = True
    idx = select("uniform", r, np.random.default_rng(2), mask=mask)
    assert set(np.unique(idx)) == {1, 3}


def test_rng_must_be_a_generator() -> None:
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        sample_index([0.5, 0.5], 42)  # type: ignore[arg-type]
