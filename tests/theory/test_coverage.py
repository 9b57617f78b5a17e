"""Coverage coefficients, eps2 and the comparators."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _strategies import distributions
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from pessimism.theory import (
    best_response,
    chi2_ball_comparator,
    coverage_chi2,
    coverage_linf,
    eps2,
    hacking,
)


def test_values_on_hacking() -> None:
    inst = hacking()
    assert inst.eps2 == pytest.approx(0.028 * 0.15**2 + 0.002 * 1.0, rel=1e-12)
    assert eps2(inst.pi_ref, inst.r_hat, inst.r_star) == inst.eps2
    assert inst.coverage == pytest.approx(1 / 0.028, rel=1e-12) == inst.coverage_linf
    assert inst.beta_star == pytest.approx(math.sqrt(inst.eps2 * 0.028), rel=1e-12)


def test_best_response_splits_ties_in_proportion_to_pi_ref() -> None:
    pi = np.array([0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(best_response(pi, [1.0, 0.0, 1.0, 0.5]), [0.25, 0, 0.75, 0])
    assert coverage_chi2(pi, best_response(pi, [1.0, 0.0, 1.0, 0.5])) == pytest.approx(1 / 0.4)
    # a zero-probability response is never the comparator, however good
    np.testing.assert_allclose(best_response([0.5, 0.5, 0.0], [0.0, 1.0, 9.0]), [0, 1, 0])


@settings(max_examples=150, deadline=None)
@given(distributions(6, allow_zeros=False), distributions(6))
def test_chi2_coverage_is_at_most_linf_and_at_least_one(pi, star) -> None:
    c, c_inf = coverage_chi2(pi, star), coverage_linf(pi, star)
    assert 1 - 1e-12 <= c <= c_inf * (1 + 1e-12)


def test_leaving_the_support_is_infinite_coverage() -> None:
    assert coverage_chi2([1.0, 0.0], [0.5, 0.5]) == math.inf
    assert coverage_linf([1.0, 0.0], [0.5, 0.5]) == math.inf


@settings(max_examples=60, deadline=None)
@given(
    distributions(5, allow_zeros=False),
    arrays(np.float64, 5, elements=st.floats(0, 1)),
    st.floats(1.05, 3.0),
    distributions(5),
    st.floats(0.0, 1.0),
)
def test_chi2_ball_comparator_is_the_best_policy_in_the_ball(pi, r_star, c0, other, t) -> None:
    comp = chi2_ball_comparator(pi, r_star, c0)
    c = coverage_chi2(pi, comp)
    assert c <= c0 * (1 + 1e-9)
    if coverage_chi2(pi, best_response(pi, r_star)) > c0:
        assert c == pytest.approx(c0, rel=1e-7)
    # any mixture of pi_ref and another policy that fits in the ball does no better
    candidate = (1 - t) * pi + t * other
    if coverage_chi2(pi, candidate) <= c0:
        assert candidate @ r_star <= comp @ r_star + 1e-9


def test_default_comparator_is_the_best_response() -> None:
    pi, r_star = [0.5, 0.3, 0.2], [0.0, 1.0, 0.5]
    assert coverage_chi2(pi, r_star=r_star) == pytest.approx(1 / 0.3) == coverage_linf(pi, r_star=r_star)
    with pytest.raises(ValueError, match="pass a comparator pi_star, or r_star"):
        coverage_chi2(pi)


def test_budget_of_one_is_pi_ref() -> None:
    np.testing.assert_allclose(chi2_ball_comparator([0.5, 0.3, 0.2], [0.0, 1.0, 0.5], 1.0), [0.5, 0.3, 0.2])


def test_bad_coverage_budget() -> None:
    with pytest.raises(ValueError, match="max_coverage must be a finite number >= 1"):
        chi2_ball_comparator([0.5, 0.5], [0.0, 1.0], 0.5)
    with pytest.raises(ValueError, match=r"pi_star has shape \(3,\)"):
        coverage_chi2([0.5, 0.5], [0.2, 0.3, 0.5])
