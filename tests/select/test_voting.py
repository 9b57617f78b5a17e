"""Answer-level rules: majority vote, reward-weighted vote, Best-of-Majority."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pessimism import selection_probs
from pessimism.select import best_of_majority, majority_vote, weighted_majority_vote

answers_lists = st.lists(st.sampled_from(["a", "b", "c", None]), min_size=1, max_size=12)


def test_majority_vote_spreads_over_the_winning_answer() -> None:
    res = majority_vote(["7", "8", "7", None, "9"])
    np.testing.assert_allclose(res.probs, [0.5, 0, 0.5, 0, 0])
    assert res.winners == "7"
    assert res.answer_probs == [{"7": 1.0, "8": 0.0, "9": 0.0}]


def test_majority_vote_ties_split_between_answers() -> None:
    res = majority_vote(["x", "y", "y", "x", "z"])
    np.testing.assert_allclose(res.probs, [0.25, 0.25, 0.25, 0.25, 0])
    assert res.winners == "x"  # first in candidate order among the tied


def test_rows_without_answers_fall_back() -> None:
    res = majority_vote([[None, ""], ["a", None]])
    np.testing.assert_allclose(res.probs, [[0.5, 0.5], [1.0, 0.0]])
    assert list(res.winners) == [None, "a"]
    w = weighted_majority_vote([[None, None]], [[0.1, 0.9]])
    np.testing.assert_allclose(w.probs, [[0.0, 1.0]])


def test_weighted_vote_picks_best_candidate_of_winning_answer() -> None:
    answers = ["a", "b", "b", "b"]
    rewards = [5.0, 1.0, 1.5, 1.2]
    # shift: votes r - min = [4, 0, .5, .2] -> a (4) beats b (.7)
    res = weighted_majority_vote(answers, rewards)
    np.testing.assert_allclose(res.probs, [1, 0, 0, 0])
    # raw sums: a = 5, b = 3.7 -> a
    assert weighted_majority_vote(answers, rewards, weights="raw").winners == "a"
    # raw with negatives: an answer's negative rewards count against it
    res = weighted_majority_vote(["a", "b", "b"], [-0.4, -0.3, -0.3], weights="raw")
    assert res.winners == "a"  # b has more votes, but its sum -0.6 is below a's -0.4
    np.testing.assert_allclose(res.probs, [1, 0, 0])
    assert weighted_majority_vote(["a", "b", "b"], [-0.4, -0.3, -0.3]).winners == "b"


@settings(max_examples=150, deadline=None)
@given(answers_lists, st.data(), st.integers(-50, 50))
def test_weighted_vote_shift_is_invariant_to_constants(answers: list, data: st.DataObject, c: int) -> None:
    # integer-valued rewards keep the arithmetic exact, so ties stay ties after the shift
    ints = st.lists(st.integers(-10, 10), min_size=len(answers), max_size=len(answers))
    r = np.array(data.draw(ints), dtype=float)
    a = weighted_majority_vote(answers, r)
    b = weighted_majority_vote(answers, r + c)
    np.testing.assert_allclose(a.probs, b.probs, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(answers_lists, st.data())
def test_voting_rules_return_distributions(answers: list, data: st.DataObject) -> None:
    r = np.array(data.draw(st.lists(st.floats(-10, 10), min_size=len(answers), max_size=len(answers))))
    for res in (majority_vote(answers), weighted_majority_vote(answers, r), best_of_majority(answers, r, 0.3)):
        assert np.all(res.probs >= 0)
        assert res.probs.sum() == pytest.approx(1.0)
        if any(a is not None for a in answers):
            # a candidate without an answer is never chosen when some candidate has one
            assert all(p == 0 for p, a in zip(res.probs, answers) if a is None)


def test_best_of_majority_filters_rare_answers() -> None:
    answers = ["a", "a", "a", "b", "c"]
    rewards = [0.1, 0.3, 0.2, 0.9, 5.0]
    res = best_of_majority(answers, rewards, alpha=0.4)  # only "a" (3/5) survives
    np.testing.assert_allclose(res.probs, [0, 1, 0, 0, 0])
    # alpha small enough that every answer survives: plain Best-of-N
    np.testing.assert_allclose(best_of_majority(answers, rewards, alpha=0.2).probs, [0, 0, 0, 0, 1])
    with pytest.raises(ValueError, match=r"alpha must be a frequency in \(0, 1\]"):
        best_of_majority(answers, rewards, alpha=0)


def test_batched_rows_and_masks() -> None:
    answers = np.array([["a", "b", "b"], ["c", "c", "d"]], dtype=object)
    mask = np.array([[True, False, False], [True, True, True]])
    res = majority_vote(answers, mask=mask)
    np.testing.assert_allclose(res.probs, [[1, 0, 0], [0.5, 0.5, 0]])
    assert list(res.winners) == ["a", "c"]


def test_registry_exposes_voting() -> None:
    p = selection_probs("majority_vote", [0.0, 0.0, 1.0], answers=["x", "x", "y"])
    np.testing.assert_allclose(p, [0.5, 0.5, 0])
    p = selection_probs("best_of_majority", [0.0, 0.5, 1.0], answers=["x", "x", "y"], alpha=0.5)
    np.testing.assert_allclose(p, [0, 1, 0])


def test_answers_shape_must_match() -> None:
    with pytest.raises(ValueError, match=r"answers has shape \(2,\) but rewards have shape \(3,\)"):
        weighted_majority_vote(["a", "b"], [1.0, 2.0, 3.0])
