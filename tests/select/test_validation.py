"""Bad input raises ValueError naming the argument, the row and what to do."""

from __future__ import annotations

import numpy as np
import pytest

from pessimism import chi2_lambda, selection_probs


@pytest.mark.parametrize("method,params", [("itp", {"beta": 1.0}), ("bon", {}), ("soft_bon", {"beta": 1.0})])
def test_nan_and_inf_are_located(method: str, params: dict) -> None:
    r = np.zeros((3, 4))
    r[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"rewards contains a non-finite value \(nan\) at row 2, candidate 1"):
        selection_probs(method, r, **params)
    r[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"non-finite value \(inf\) at row 2"):
        selection_probs(method, r, **params)


@pytest.mark.parametrize("beta", [0.0, -1.0, np.nan, np.inf])
def test_beta_must_be_positive_and_finite(beta: float) -> None:
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        chi2_lambda([1.0, 2.0], beta)
    with pytest.raises(ValueError, match="beta must be a finite number > 0"):
        selection_probs("itp", [1.0, 2.0], beta=beta)


def test_empty_pools_are_rejected() -> None:
    with pytest.raises(ValueError, match="N = 0 candidates"):
        selection_probs("bon", np.zeros((2, 0)))
    with pytest.raises(ValueError, match="scalar"):
        selection_probs("bon", 1.0)


@pytest.mark.parametrize("k", [0, 5, -1])
def test_k_outside_range(k: int) -> None:
    with pytest.raises(ValueError, match=rf"k={k} is outside \[1, 4\]"):
        selection_probs("topk", [1.0, 2.0, 3.0, 4.0], k=k)


def test_k_must_be_an_integer() -> None:
    with pytest.raises(ValueError, match="k must be an integer"):
        selection_probs("topk", [1.0, 2.0], k=1.5)


def test_k_is_bounded_by_the_smallest_masked_row() -> None:
    mask = np.array([[True, True, True], [True, False, False]])
    with pytest.raises(ValueError, match=r"k=2 is outside \[1, 1\]"):
        selection_probs("topk", np.zeros((2, 3)), mask=mask, k=2)


def test_mask_row_with_no_valid_entry() -> None:
    mask = np.array([[True, False], [False, False]])
    with pytest.raises(ValueError, match="mask has no valid entry in row 1"):
        selection_probs("itp", np.zeros((2, 2)), mask=mask, beta=1.0)


def test_mismatched_shapes() -> None:
    with pytest.raises(ValueError, match=r"mask has shape \(3,\) but rewards has shape \(2,\)"):
        selection_probs("bon", [1.0, 2.0], mask=np.array([True, True, True]))
    with pytest.raises(ValueError, match="does not broadcast against the batch shape"):
        selection_probs("itp", np.zeros((2, 3)), beta=np.ones(5))


def test_mask_must_be_boolean() -> None:
    with pytest.raises(ValueError, match="mask must be a boolean array"):
        selection_probs("bon", [1.0, 2.0], mask=np.array([1, 0]))


def test_non_numeric_rewards() -> None:
    with pytest.raises(ValueError, match="rewards must be numeric"):
        selection_probs("bon", ["a", "b"])


def test_registry_names_methods_and_parameters() -> None:
    with pytest.raises(ValueError, match="unknown selection method 'best_of_n'; choose one of bon, uniform, itp"):
        selection_probs("best_of_n", [1.0])
    with pytest.raises(ValueError, match="method 'itp' needs parameter\\(s\\) beta"):
        selection_probs("itp", [1.0])
    with pytest.raises(ValueError, match="method 'bon' does not take parameter\\(s\\) beta"):
        selection_probs("bon", [1.0], beta=1.0)
    with pytest.raises(ValueError, match="itp_sequential.*fallback"):
        selection_probs("itp_sequential", [1.0], beta=1.0)
