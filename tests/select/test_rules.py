"""Selection rules: distributions, limits, invariances, ties, masks and sequential scans."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pessimism import chi2_lambda, selection_probs
from pessimism.select import bon, itp, itp_sequential, kl_rejection, soft_bon, topk, uniform

finite = st.floats(min_value=-100, max_value=100, allow_nan=False, allow_infinity=False)
batches = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 12)),
    elements=finite,
)
betas = st.floats(min_value=1e-2, max_value=1e2)


def all_rules(r: np.ndarray, beta: float) -> dict[str, np.ndarray]:
    k = max(1, r.shape[-1] // 2)
    return {
        "bon": selection_probs("bon", r),
        "uniform": selection_probs("uniform", r),
        "itp": selection_probs("itp", r, beta=beta),
        "soft_bon": selection_probs("soft_bon", r, beta=beta),
        "topk": selection_probs("topk", r, k=k),
    }


@settings(max_examples=200, deadline=None)
@given(batches, betas)
def test_every_rule_is_a_distribution(r: np.ndarray, beta: float) -> None:
    for name, p in all_rules(r, beta).items():
        assert p.shape == r.shape, name
        assert np.all(p >= 0), name
        np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=1e-12, err_msg=name)


@settings(max_examples=200, deadline=None)
@given(batches, betas, finite)
def test_itp_is_shift_invariant(r: np.ndarray, beta: float, shift: float) -> None:
    np.testing.assert_allclose(itp(r + shift, beta), itp(r, beta), atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(batches, betas, st.floats(min_value=1e-2, max_value=1e2))
def test_scaling_rewards_equals_scaling_beta(r: np.ndarray, beta: float, c: float) -> None:
    np.testing.assert_allclose(itp(c * r, c * beta), itp(r, beta), atol=1e-9)
    np.testing.assert_allclose(chi2_lambda(c * r, c * beta), c * chi2_lambda(r, beta), atol=1e-7 * c)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(2, 12), elements=finite, unique=True))
def test_itp_equals_bon_once_n_beta_is_below_the_top_gap(r: np.ndarray) -> None:
    top_two = np.sort(r)[-2:]
    gap = top_two[1] - top_two[0]
    assume(gap > 1e-6)
    beta = 0.99 * gap / r.size  # N * beta < gap: only the top candidate stays active
    np.testing.assert_allclose(itp(r, beta), bon(r), rtol=0, atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 12), elements=finite))
def test_itp_tends_to_uniform_as_beta_grows(r: np.ndarray) -> None:
    spread = float(r.max() - r.min()) + 1.0
    beta = 1e6 * spread
    # all candidates active: p_i = 1/N + (r_i - mean)/(N beta), within spread/(N beta) of uniform
    np.testing.assert_allclose(itp(r, beta), uniform(r), atol=2 * spread / (r.size * beta))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(2, 12), elements=finite, unique=True))
def test_soft_bon_tends_to_bon_as_beta_shrinks(r: np.ndarray) -> None:
    gap = np.diff(np.sort(r))[-1]
    assume(gap > 1e-3)
    np.testing.assert_allclose(soft_bon(r, gap / 100), bon(r), atol=1e-30 + r.size * np.exp(-100))


def test_soft_bon_does_not_overflow_at_extreme_scales() -> None:
    r = 1e6 + np.array([0.0, 1e-6, 3e-6])
    p = soft_bon(r, 1e-6)
    assert np.all(np.isfinite(p))
    expected = np.exp((r - r[0]) / 1e-6)  # the float differences are not exactly 1e-6 and 3e-6
    np.testing.assert_allclose(p, expected / expected.sum(), rtol=1e-6)
    assert np.isfinite(soft_bon([1e300, -1e300], 1e-300)).all()


def test_ties_split_mass_fairly() -> None:
    r = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    np.testing.assert_allclose(bon(r), [0, 1 / 3, 1 / 3, 0, 1 / 3])
    p = itp(r, 0.1)
    assert p[1] == p[2] == p[4]
    # topk with k=2 and three candidates tied at the top: each gets 2/3 * 1/2
    np.testing.assert_allclose(topk(r, 2), [0, 1 / 3, 1 / 3, 0, 1 / 3])
    # boundary tie below the strict top: [5, 4, 4] with k=2 -> 1/2 for the top, 1/4 for each 4
    np.testing.assert_allclose(topk([5.0, 4.0, 4.0, 1.0], 2), [0.5, 0.25, 0.25, 0.0])


def test_topk_limits() -> None:
    r = np.array([0.2, 0.9, -0.3, 0.5])
    np.testing.assert_allclose(topk(r, 1), bon(r))
    np.testing.assert_allclose(topk(r, 4), uniform(r))


@settings(max_examples=150, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 10)), elements=finite),
    st.data(),
    betas,
)
def test_mask_equals_dropping_masked_entries(r: np.ndarray, data: st.DataObject, beta: float) -> None:
    mask = data.draw(arrays(np.bool_, r.shape))
    mask[:, 0] = True  # every row keeps at least one candidate
    garbage = np.where(mask, r, np.nan)  # masked slots may hold anything
    k = 1
    for method, params in (("bon", {}), ("uniform", {}), ("itp", {"beta": beta}),
                           ("soft_bon", {"beta": beta}), ("topk", {"k": k})):
        p = selection_probs(method, garbage, mask=mask, **params)
        for row in range(r.shape[0]):
            kept = r[row][mask[row]]
            np.testing.assert_allclose(p[row][mask[row]], selection_probs(method, kept, **params), atol=1e-12)
            assert np.all(p[row][~mask[row]] == 0)


def sequential_by_loop(accept: np.ndarray) -> tuple[np.ndarray, float]:
    probs, survive = [], 1.0
    for a in accept:
        probs.append(survive * a)
        survive *= 1 - a
    return np.array(probs), survive


@settings(max_examples=150, deadline=None)
@given(arrays(np.float64, st.integers(1, 10), elements=finite), betas)
def test_itp_sequential_matches_its_definition(r: np.ndarray, beta: float) -> None:
    r_max = float(r.max()) + 1.0
    out = itp_sequential(r, beta, r_max=r_max)
    lam = chi2_lambda(r, beta)
    w = np.maximum((r - lam) / beta, 0)
    probs, fallback = sequential_by_loop(np.minimum(1, w / ((r_max - lam) / beta)))
    np.testing.assert_allclose(out.probs, probs, atol=1e-12)
    assert out.fallback == pytest.approx(fallback, abs=1e-12)
    assert out.probs.sum() + out.fallback == pytest.approx(1.0, abs=1e-12)
    # with M = max w the top candidate is accepted whenever reached: no fallback mass
    greedy = itp_sequential(r, beta, M="max")
    assert greedy.fallback == pytest.approx(0.0, abs=1e-12)


def test_sequential_rules_keep_fallback_separate() -> None:
    r = np.array([0.0, 0.1, 0.2])
    out = itp_sequential(r, 1.0, r_max=10.0)
    assert 0 < out.fallback < 1
    assert out.probs.sum() < 1  # never silently renormalized
    kl = kl_rejection(r, 0.5, r_max=1.0)
    assert kl.probs.sum() + kl.fallback == pytest.approx(1.0)
    np.testing.assert_allclose(kl.accept, np.exp((r - 1.0) / 0.5))


def test_itp_sequential_rejects_a_bound_below_the_rewards() -> None:
    with pytest.raises(ValueError, match="r_max=1.0 is below an observed reward 2.0"):
        itp_sequential([0.0, 2.0], 1.0, r_max=1.0)
    with pytest.raises(ValueError, match="exactly one of r_max"):
        itp_sequential([0.0, 2.0], 1.0)
