"""Parameter tuning on a calibration split of prompts; results are reported on the held-out split only.

The split is a seeded permutation of the prompts (:func:`split_prompts`). Everything the choice
depends on is computed from the calibration prompts alone: their own prepared (normalized, sorted)
pool, the scale of the candidate grid, and their own random stream. So nothing about a held-out
prompt (its rewards, its truth) can change a choice; the tests perturb held-out rewards to check.

Per method and per budget N the candidate with the largest calibration mean true reward wins (the
first in grid order on an exact tie). Candidate grids:

* ``beta`` (itp, itp_alg1) and soft_bon's temperature: ``s * 2^j`` for ``j = -6..3``, with ``s`` the
  median over calibration prompts of the pool's proxy-reward standard deviation (so the grid follows
  the reward scale, normalized or not);
* ``m`` of topk (k = ceil(N/m)): ``1, 2, 4, ...`` up to the largest finite N;
* the N that Best-of-N actually uses under a budget N: every grid value ``<= N`` (``bon_tuned``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from .engine import Job, Spec, run_jobs
from .prepared import Prepared

CALIBRATION_STREAM = 1
HELDOUT_STREAM = 2


def split_prompts(n_prompts: int, calib_frac: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of prompt positions into ``(calibration, held-out)``, each sorted.

    The calibration share is ``round(calib_frac * P)``, kept within ``[1, P - 1]``.
    """
    if not (isinstance(calib_frac, (int, float)) and 0 < calib_frac < 1):
        raise ValueError(f"calib_frac must be a fraction in (0, 1); got {calib_frac!r}")
    if n_prompts < 2:
        raise ValueError(
            f"tuning needs at least 2 prompts (a calibration and a held-out split); the pool has {n_prompts}"
        )
    order = np.random.default_rng([seed, 7919]).permutation(n_prompts)
    k = min(max(1, round(calib_frac * n_prompts)), n_prompts - 1)
    return np.sort(order[:k]), np.sort(order[k:])


def beta_grid(prep: Prepared) -> list[float]:
    """``s * 2^j, j = -6..3``, ``s`` = median per-prompt standard deviation of the proxy reward."""
    r = np.where(prep.mask, prep.proxy, np.nan)
    sd = np.nanstd(r, axis=1)
    scale = float(np.median(sd))
    if not (math.isfinite(scale) and scale > 0):
        scale = 1.0
    return [scale * 2.0**j for j in range(-6, 4)]


def m_grid(n_grid: Sequence[float]) -> list[float]:
    top = max((n for n in n_grid if math.isfinite(n)), default=1)
    out, m = [], 1
    while m <= top:
        out.append(float(m))
        m *= 2
    return out


def choose(
    prep_cal: Prepared,
    candidates: Callable[[float], list[Spec]],
    n_grid: Sequence[float],
    *,
    reps: int,
    seed: int,
    replace: bool,
    r_max: float | None,
    threads: int = 1,
    advance: Callable[[float], None] | None = None,
) -> dict[float, tuple[Spec, float]]:
    """Per N, the calibration-best spec among ``candidates(N)`` and its calibration mean."""
    jobs: list[Job] = [(n, spec) for n in n_grid for spec in candidates(n)]
    results = run_jobs(
        prep_cal, jobs, reps=reps, seed=seed, stream=CALIBRATION_STREAM, replace=replace, r_max=r_max,
        advance=advance, threads=threads,
    )
    chosen: dict[float, tuple[Spec, float]] = {}
    for n in n_grid:
        best: tuple[Spec, float] | None = None
        for spec in candidates(n):
            score = float(results[(n, spec)].values.mean())
            if best is None or score > best[1]:
                best = (spec, score)
        if best is not None:
            chosen[n] = best
    return chosen
