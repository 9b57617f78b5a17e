"""Ground-truth matchers: normalization, numbers, math-verify, and the Verifier reward model."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pessimism.rewards.verifier import (
    Verifier,
    exact_match,
    is_correct,
    math_match,
    normalize_text,
    numeric_match,
    parse_number,
)


@given(st.text())
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(st.text())
def test_normalize_text_ignores_case_and_surrounding_space(text: str) -> None:
    assert normalize_text(f"  {text.upper()}\t") == normalize_text(text.upper())
    assert normalize_text(text.lower()) == normalize_text(text.upper()) or any(
        ch.lower().upper() != ch.upper() for ch in text  # characters whose case round-trip is lossy
    )


@pytest.mark.parametrize(
    ("prediction", "reference"),
    [
        ("Bogota", "Bogotá"),
        ("SÃO TOMÉ", "São Tomé"),
        ("  the Hague. ", "The Hague"),
        ("N'Djamena", "NDjamena"),
        ("Port of Spain", "Port-of-Spain"),
        ("chisinau", "Chișinău"),
        ("Reykjavík!", "reykjavik"),
        ("Nuku\u2019alofa", "Nuku'alofa"),
    ],
)
def test_exact_match_accepts_variants(prediction: str, reference: str) -> None:
    assert exact_match(prediction, reference)


@pytest.mark.parametrize(("prediction", "reference"), [("Paris", "Lyon"), ("New Delhi", "Delhi"), ("", "Rome")])
def test_exact_match_rejects_different_answers(prediction: str, reference: str) -> None:
    assert not exact_match(prediction, reference)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("18", 18.0),
        ("$1,234.50", 1234.5),
        ("1,450,000", 1450000.0),
        ("-3", -3.0),
        ("\u22127", -7.0),
        ("-$5", -5.0),
        ("50%", 50.0),
        ("3/4", 0.75),
        ("1 1/2", 1.5),
        ("2.5e3", 2500.0),
        ("12 km", 12.0),
        ("18 dollars.", 18.0),
        ("18.", 18.0),
        (".5", 0.5),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "3,5", "1/0", "12 and 13", "", "x = 5", "--3"])
def test_parse_number_rejects_non_numbers(text: str) -> None:
    assert parse_number(text) is None


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@given(finite, finite)
def test_numeric_match_is_symmetric(a: float, b: float) -> None:
    assert numeric_match(repr(a), repr(b)) == numeric_match(repr(b), repr(a))


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_numeric_match_with_thousands_and_dollars(n: int) -> None:
    formatted = f"{'-' if n < 0 else ''}${abs(n):,}"
    assert numeric_match(formatted, str(n))
    assert not numeric_match(formatted, str(n + 1))


def test_numeric_match_tolerance() -> None:
    assert numeric_match("0.3333333", "1/3", rel_tol=1e-6)
    assert not numeric_match("0.3333333", "1/3")
    assert not numeric_match("0.33", "1/3")


@pytest.mark.parametrize(
    ("prediction", "reference"),
    [
        ("\\dfrac{14}{3}", "\\frac{14}{3}"),
        ("0.5", "\\frac12"),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"),
        ("The answer is $\\boxed{2\\sqrt{2}}$", "\\sqrt{8}"),
        ("x=5", "5"),
    ],
)
def test_math_match_equivalent(prediction: str, reference: str) -> None:
    assert math_match(prediction, reference)


@pytest.mark.parametrize(("prediction", "reference"), [("-2", "2"), ("\\frac{14}{3}", "\\frac{3}{14}"), ("\\pi", "3")])
def test_math_match_different(prediction: str, reference: str) -> None:
    assert not math_match(prediction, reference)


def test_is_correct_none_scores_zero() -> None:
    assert is_correct(None, ["Paris"]) == 0.0
    assert is_correct("paris", ["Lyon", "Paris"]) == 1.0
    with pytest.raises(ValueError, match="match must be one of"):
        is_correct("x", ["x"], match="fuzzy")


def test_verifier_reward_model() -> None:
    v = Verifier(
        {"Capital of France?": ["Paris"], "2+2?": ["4"]},
        match="numeric",
        extract=lambda r: r.split("=")[-1] if "=" in r else None,
    )
    assert v.name == "verifier:numeric"
    assert v.score(["2+2?", "2+2?", "2+2?"], ["so = 4", "= 5", "four"]) == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="no reference answers for prompt 0"):
        v.score(["unknown?"], ["= 4"])
    exact = Verifier({"Capital of France?": "Paris"})
    assert exact.score(["Capital of France?"] * 2, ["PARIS.", "Lyon"]) == [1.0, 0.0]
    with pytest.raises(ValueError, match="non-empty list"):
        Verifier({"q": []})
    assert all(math.isfinite(s) for s in exact.score(["Capital of France?"], ["x"]))


def test_math_match_off_the_main_thread() -> None:
    """math-verify's SIGALRM timeouts only work in the main thread; elsewhere they are disabled."""
    import asyncio

    assert asyncio.run(asyncio.to_thread(math_match, "\\dfrac{1}{2}", "0.5"))
    assert not asyncio.run(asyncio.to_thread(math_match, "3", "4"))
