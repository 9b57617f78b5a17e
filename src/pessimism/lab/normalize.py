"""Reward normalization before selection: ``none``, ``zscore`` or ``rank``, always **per prompt**.

Why per prompt: every rule compares rewards of candidates *for the same prompt*, and reward models
carry arbitrary per-prompt offsets and scales (a hard question scores low across the board). ITP is
shift-invariant and scaling rewards by ``c`` equals scaling ``beta`` by ``c``; so a per-prompt z-score
is exactly "ITP with a per-prompt ``beta`` proportional to that prompt's reward spread", which makes
one ``beta`` meaningful across prompts. A global normalization would only rescale ``beta`` by one
constant for every prompt: it changes units, never results, so it is not offered.

The statistics come from the prompt's whole pool, i.e. from the reference policy's law that the pool
stands in for (not from the N drawn candidates, which would make the transform random).

* ``none``: rewards untouched (the very same array object is returned).
* ``zscore``: ``(r - mean_p) / sd_p`` with the pool's mean and population standard deviation; a prompt
  whose rewards are all equal becomes all zeros.
* ``rank``: the mid-rank CDF under the pool, ``(#{r_j < r} + (#{r_j = r} + 1)/2) / M_p`` in (0, 1]:
  ties get equal values; the result is invariant to any increasing transform of the reward model.

Best-of-N, top-k, majority vote and the oracle are invariant to all three (increasing transforms).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .pool import BoolArray, FloatArray

Normalize = Literal["none", "zscore", "rank"]
NORMALIZATIONS = ("none", "zscore", "rank")


def normalize_rewards(rewards: FloatArray, mask: BoolArray, how: str) -> FloatArray:
    """Normalize ``(P, M)`` rewards per prompt (row) over the valid entries; see the module doc."""
    if how == "none":
        return rewards
    if how not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {', '.join(NORMALIZATIONS)}; got {how!r}")
    n = mask.sum(axis=1, keepdims=True)
    if how == "zscore":
        mean = np.where(mask, rewards, 0.0).sum(axis=1, keepdims=True) / n
        centred = np.where(mask, rewards - mean, 0.0)
        sd = np.sqrt((centred**2).sum(axis=1, keepdims=True) / n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(sd > 0, centred / sd, 0.0)
    # rank: mid-ranks among the valid entries of each row
    filled = np.where(mask, rewards, np.inf)
    ordered = np.sort(filled, axis=1)
    below = np.empty(rewards.shape)
    equal_or_below = np.empty(rewards.shape)
    for p in range(rewards.shape[0]):
        below[p] = np.searchsorted(ordered[p], filled[p], side="left")
        equal_or_below[p] = np.searchsorted(ordered[p], filled[p], side="right")
    ties = equal_or_below - below
    return np.where(mask, (below + (ties + 1) / 2) / n, 0.0)
