"""chi2_lambda: the sorted closed form against an independent bisection solve, and its limits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pessimism import chi2_lambda

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
reward_rows = arrays(np.float64, st.integers(1, 40), elements=finite)
betas = st.floats(min_value=1e-3, max_value=1e3)


def bisection_lambda(r: np.ndarray, beta: float) -> float:
    """Independent solve of (1/N) sum relu((r - lam)/beta) = 1 by bisection on [min r - beta, max r]."""
    lo, hi = r.min() - beta, r.max()
    f = lambda lam: np.maximum((r - lam) / beta, 0).mean() - 1.0  # noqa: E731
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if f(mid) > 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@settings(max_examples=300, deadline=None)
@given(reward_rows, betas)
def test_matches_bisection(r: np.ndarray, beta: float) -> None:
    lam = chi2_lambda(r, beta)
    scale = max(1.0, float(np.abs(r).max()) + beta)
    assert abs(lam - bisection_lambda(r, beta)) <= 1e-9 * scale
    # it is a root of the normalizing equation
    assert np.maximum((r - lam) / beta, 0).mean() == pytest.approx(1.0, rel=1e-9, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(reward_rows, betas)
def test_lies_in_documented_interval(r: np.ndarray, beta: float) -> None:
    lam = chi2_lambda(r, beta)
    tol = 1e-12 * max(1.0, float(np.abs(r).max()) + beta)
    assert r.min() - beta - tol <= lam < r.max()


def test_large_beta_gives_mean_minus_beta() -> None:
    r = np.array([0.3, -1.0, 2.0, 0.7])
    beta = 1e4
    assert chi2_lambda(r, beta) == pytest.approx(r.mean() - beta, rel=1e-12)


def test_small_beta_leaves_top_only() -> None:
    r = np.array([0.3, -1.0, 2.0, 0.7])
    beta = 1e-4
    # one active candidate: lam = r_max - N * beta
    assert chi2_lambda(r, beta) == pytest.approx(2.0 - 4 * beta, abs=1e-12)


def test_vectorized_rows_and_per_row_beta() -> None:
    rng = np.random.default_rng(1)
    r = rng.normal(size=(3, 5, 7))
    beta = rng.uniform(0.1, 2.0, size=(3, 5))
    lam = chi2_lambda(r, beta)
    assert lam.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            assert lam[i, j] == pytest.approx(bisection_lambda(r[i, j], beta[i, j]), abs=1e-9)


def test_far_from_zero_rewards_keep_precision() -> None:
    r = 1e9 + np.array([0.0, 0.5, 1.0, 1.5])
    lam = chi2_lambda(r, 0.25)
    assert lam - 1e9 == pytest.approx(chi2_lambda(r - 1e9, 0.25), abs=1e-6)


def test_mask_counts_only_valid_entries() -> None:
    r = np.array([[1.0, 2.0, np.nan, 0.0]])
    mask = np.array([[True, True, False, True]])
    assert chi2_lambda(r, 0.7, mask=mask)[0] == pytest.approx(chi2_lambda([1.0, 2.0, 0.0], 0.7))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([63, 64, 65, 128, 129, 300, 1024]),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1e-4, 0.05, 1.0, 30.0]),
    st.booleans(),
    st.booleans(),
)
def test_block_search_on_long_rows(n: int, seed: int, beta: float, masked: bool, ties: bool) -> None:
    """Rows longer than the 64-wide blocks, with masks and heavy ties, against bisection."""
    rng = np.random.default_rng(seed)
    r = rng.standard_normal((6, n))
    if ties:
        r = np.round(r * 2) / 2  # a handful of distinct values, each repeated many times
    mask = rng.random((6, n)) < rng.uniform(0.05, 1.0, size=(6, 1)) if masked else np.ones((6, n), bool)
    mask[:, rng.integers(n)] = True
    lam = chi2_lambda(np.where(mask, r, np.nan), beta, mask=mask) if masked else chi2_lambda(r, beta)
    for row in range(6):
        expected = bisection_lambda(r[row][mask[row]], beta)
        assert lam[row] == pytest.approx(expected, abs=1e-9 * (4 + beta))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 300), st.integers(0, 2**32 - 1), st.booleans())
def test_presorted_rows_take_the_same_path_to_the_same_answer(n: int, seed: int, ties: bool) -> None:
    """Rows already sorted ascending skip the sort (the lab draws from a reward-sorted pool)."""
    rng = np.random.default_rng(seed)
    r = rng.standard_normal((5, n))
    if ties:
        r = np.round(r)
    presorted = np.sort(r, axis=-1)
    np.testing.assert_array_equal(chi2_lambda(presorted, 0.3), chi2_lambda(r, 0.3))
    from pessimism.select import itp

    shuffled_back = np.take_along_axis(itp(presorted, 0.3), np.argsort(np.argsort(r, axis=-1), axis=-1), axis=-1)
    np.testing.assert_allclose(shuffled_back, itp(r, 0.3), atol=1e-15)
