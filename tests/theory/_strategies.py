"""Hypothesis strategies for finite instances shared by the theory tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays


@st.composite
def distributions(draw: st.DrawFn, k: int, allow_zeros: bool = True) -> np.ndarray:
    """A probability vector of length k (some entries may be exactly 0, at least one is positive)."""
    mass = st.floats(1e-6, 1.0)
    w = draw(arrays(np.float64, k, elements=(st.just(0.0) | mass) if allow_zeros else mass))
    if w.sum() <= 0:
        w[draw(st.integers(0, k - 1))] = 1.0
    return w / w.sum()


@st.composite
def instances(draw: st.DrawFn, k_max: int = 8, ties: bool | None = None, allow_zeros: bool = True):
    """(pi_ref, r_hat, r_star). Rewards come from a small integer grid half the time, so ties are common."""
    k = draw(st.integers(1, k_max))
    pi = draw(distributions(k, allow_zeros))
    use_grid = draw(st.booleans()) if ties is None else ties
    elems = st.integers(-3, 3).map(float) if use_grid else st.floats(-100, 100)
    r_hat = draw(arrays(np.float64, k, elements=elems))
    r_star = draw(arrays(np.float64, k, elements=st.floats(-1, 1)))
    return pi, r_hat, r_star
