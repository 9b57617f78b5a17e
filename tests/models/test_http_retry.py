"""The retry policy's backoff schedule (exponential, jittered, capped, honouring Retry-After)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pessimism.models import RetryPolicy


@given(
    st.integers(0, 30),
    st.floats(0.0, 5.0),
    st.floats(0.0, 60.0),
    st.one_of(st.none(), st.floats(0.0, 120.0)),
    st.integers(0, 10**6),
)
def test_delay_is_jittered_exponential_capped_and_honours_retry_after(
    attempt: int, base: float, cap: float, retry_after: float | None, seed: int
) -> None:
    policy = RetryPolicy(max_attempts=3, backoff_base=base, backoff_max=cap)
    d = policy.delay(attempt, retry_after, random.Random(seed))
    ceiling = min(cap, base * 2.0**attempt)
    eps = 1e-12
    assert 0 <= d <= cap + eps  # never beyond the cap, whatever the server asks
    asked = 0.0 if retry_after is None else min(retry_after, cap)
    assert d >= asked - eps  # Retry-After is honoured up to the cap
    assert ceiling / 2 - eps <= d <= max(ceiling, asked) + eps  # jitter in [ceiling / 2, ceiling]


def test_delays_grow_until_the_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4.0)
    rng = random.Random(0)
    upper = [min(4.0, 0.5 * 2**a) for a in range(6)]
    for a, hi in enumerate(upper):
        assert hi / 2 <= policy.delay(a, rng=rng) <= hi


@pytest.mark.parametrize("kwargs", [{"max_attempts": 0}, {"max_attempts": 1.5}, {"backoff_base": -1.0}])
def test_bad_retry_settings_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)
