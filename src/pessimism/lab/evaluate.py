"""``evaluate``: every method at every budget N on a pool, as a tidy table (the lab's Python API).

For each method, parameter value and N: the expected true reward when the N candidates are drawn
uniformly from each prompt's pool (with replacement, or without when N <= the pool size), averaged
over prompts, with standard errors across prompts, the lift over the pool mean and the expected
compute. See :mod:`.engine` for which methods are exact, :mod:`.table` for the statistics and
:mod:`.tuning` for ``"auto"`` parameters.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .engine import METHODS, Estimate, Job, Spec, check_method, run_jobs, work_units
from .io import load_pool
from .normalize import NORMALIZATIONS
from .pool import Pool
from .prepared import Prepared, prepare
from .table import LabTable, across_prompts
from .tuning import HELDOUT_STREAM, beta_grid, choose, m_grid, split_prompts

DEFAULT_METHODS = ("bon", "itp", "soft_bon", "uniform", "oracle")
Auto = Literal["auto"]


def _positive_list(values: Any, name: str, integer: bool = False) -> list[float] | Auto:
    if isinstance(values, str):
        if values == "auto":
            return "auto"
        raise ValueError(f"{name} must be a list of numbers or 'auto'; got {values!r}")
    if isinstance(values, (int, float)):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not (
            math.isfinite(v) and v > 0
        ):
            raise ValueError(f"{name} must hold finite numbers > 0 (or be 'auto'); got {v!r}")
        if integer and (v < 1 or int(v) != v):
            raise ValueError(f"{name} must hold integers >= 1; got {v!r}")
        out.append(float(v))
    if not out:
        raise ValueError(f"{name} is empty; give at least one value or 'auto'")
    return out


def default_grid(pool: Pool, replace: bool) -> list[float]:
    """``1, 2, 4, ...`` up to the largest pool (the smallest one without replacement)."""
    top = int(pool.sizes.max() if replace else pool.sizes.min())
    grid, n = [], 1
    while n <= top:
        grid.append(float(n))
        n *= 2
    return grid


def _check_grid(n_grid: Sequence[float] | None, pool: Pool, replace: bool, include_limit: bool) -> list[float]:
    if n_grid is None:
        grid = default_grid(pool, replace)
    else:
        grid = []
        for n in n_grid:
            if isinstance(n, bool) or not isinstance(n, (int, float, np.integer, np.floating)):
                raise ValueError(f"n_grid must hold integers >= 1 (or inf); got {n!r}")
            if not math.isinf(n) and (n < 1 or int(n) != n):
                raise ValueError(f"n_grid must hold integers >= 1 (or inf); got {n!r}")
            grid.append(float(n))
        if not grid:
            raise ValueError("n_grid is empty; give at least one budget N")
    smallest = int(pool.sizes.min())
    if not replace:
        too_big = [n for n in grid if math.isfinite(n) and n > smallest]
        if too_big:
            raise ValueError(
                f"without replacement N cannot exceed the smallest pool ({smallest} responses); "
                f"drop N = {', '.join(f'{n:g}' for n in too_big)} or sample with replacement"
            )
    if include_limit:
        grid.append(math.inf)
    return sorted(set(grid))


@contextmanager
def _progress(enabled: bool, total: float, label: str) -> Iterator[Callable[[float], None] | None]:
    if not enabled or total <= 0:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)


def _row(spec: Spec, n: float, est: Estimate, prep: Prepared, split: str, normalize: str) -> dict[str, Any]:
    mean, se, mc_se = across_prompts(est.values, est.mc_var)
    diff = est.values - prep.pool_mean
    lift_se = float(diff.std(ddof=1) / math.sqrt(len(diff))) if len(diff) > 1 else mc_se
    value = float(spec.n_used) if spec.n_used is not None else spec.param
    compute = float(est.compute.mean())
    tokens = None
    if prep.tokens is not None:
        tokens = float((est.compute * prep.tokens).mean())
    return {
        "method": spec.method,
        "setting": spec.setting,
        "n": n if math.isinf(n) else int(n),
        "beta": value if spec.param_name == "beta" else None,
        "param_name": spec.param_name,
        "param": value,
        "mean_true_reward": mean,
        "stderr": se,
        "mc_stderr": mc_se,
        "lift": float(diff.mean()),
        "lift_stderr": lift_se,
        "compute": compute,
        "tokens": tokens,
        "exact": est.exact,
        "reps": est.reps,
        "n_prompts": prep.n_prompts,
        "split": split,
        "tuned": spec.tuned,
        "normalize": normalize,
    }


def evaluate(
    pool: Pool | str | Path,
    methods: Sequence[str] = DEFAULT_METHODS,
    n_grid: Sequence[float] | None = None,
    betas: Sequence[float] | float | Auto = (0.5,),
    taus: Sequence[float] | float | Auto | None = None,
    topk_m: Sequence[int] | int | Auto = (4,),
    bon_n: Auto | None = None,
    alpha: float = 0.5,
    normalize: str = "none",
    reps: int = 100,
    seed: int = 0,
    calib_frac: float = 0.5,
    without_replacement: bool = False,
    include_limit: bool = True,
    r_max: float | None = None,
    force_monte_carlo: bool = False,
    progress: bool = False,
    threads: int | None = None,
) -> LabTable:
    """Evaluate ``methods`` on ``pool`` at every N in ``n_grid``; return a :class:`LabTable`.

    Args:
        pool: a :class:`Pool` or the path of a pool file (default column names).
        methods: lab method names (see :data:`pessimism.lab.engine.METHODS`).
        n_grid: budgets N (integers >= 1; ``math.inf`` for the exact large-N limit). Default
            ``1, 2, 4, ...`` up to the largest pool (smallest without replacement).
        betas: ``beta`` of itp and itp_alg1 (reward units after ``normalize``), or ``"auto"``.
        taus: temperature (``beta``) of soft_bon; default: the same values as ``betas``.
        topk_m: ``m`` of topk (``k = ceil(N/m)``), or ``"auto"``.
        bon_n: ``"auto"`` adds Best-of-N rows whose own N (``<= the budget``) is tuned.
        alpha: frequency threshold of best_of_majority.
        normalize: ``none`` | ``zscore`` | ``rank``, per prompt (see :mod:`.normalize`).
        reps: Monte Carlo replicates per (N, method).
        seed: seeds the calibration split and every Monte Carlo draw.
        calib_frac: share of prompts used for tuning when any parameter is ``"auto"``; then every
            row is computed on the held-out prompts only.
        without_replacement: draw the N candidates without replacement (N <= the smallest pool).
        include_limit: add the exact N = inf rows (bon, uniform, itp, soft_bon, oracle).
        r_max: reward bound of itp_alg1 (default: each prompt's pool maximum).
        force_monte_carlo: evaluate exact methods by Monte Carlo too (to cross-check the two).
        progress: show a rich progress bar on stderr.
        threads: worker threads for Monte Carlo chunks (default: up to 2, the CPU count); results
            do not depend on it.
    """
    if not isinstance(pool, Pool):
        pool = load_pool(pool)
    methods = list(dict.fromkeys(methods))
    if not methods and bon_n != "auto":
        raise ValueError("methods is empty; choose from " + ", ".join(METHODS))
    replace = not without_replacement
    for name in methods:
        info = check_method(name)
        if info.needs_answers and pool.answers is None:
            raise ValueError(
                f"method {name!r} votes over extracted answers, but the pool has no 'answer' column"
            )
        if info.with_replacement_only and not replace:
            raise ValueError(f"method {name!r} is only defined with replacement (its N' is unbounded)")
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {', '.join(NORMALIZATIONS)}; got {normalize!r}")
    if r_max is not None and normalize != "none":
        raise ValueError("r_max is in raw reward units; with normalize != 'none' leave it unset (pool maxima)")
    if isinstance(reps, bool) or not isinstance(reps, (int, np.integer)) or reps < 1:
        raise ValueError(f"reps must be an integer >= 1; got {reps!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed!r}")
    if bon_n not in (None, "auto"):
        raise ValueError(f"bon_n must be None or 'auto'; got {bon_n!r}")
    if not (isinstance(alpha, (int, float)) and 0 < alpha <= 1):
        raise ValueError(f"alpha must be a frequency in (0, 1]; got {alpha!r}")
    grid = _check_grid(n_grid, pool, replace, include_limit)
    beta_values = _positive_list(betas, "betas")
    tau_values = beta_values if taus is None else _positive_list(taus, "taus")
    m_values = _positive_list(topk_m, "topk_m", integer=True)

    def grid_of(method: str, limit: bool = True) -> list[float]:
        return [n for n in grid if math.isfinite(n) or (limit and METHODS[method].limit)]

    # what to run: per method either fixed specs, or a candidate family to tune per N
    fixed: dict[str, list[Spec]] = {}
    families: dict[str, Callable[[Prepared], Callable[[float], list[Spec]]]] = {}
    for name in methods:
        param = METHODS[name].param
        values = {"beta": tau_values if name == "soft_bon" else beta_values, "m": m_values,
                  "alpha": [float(alpha)]}.get(param or "")
        if values == "auto":
            if param == "m":
                families[name] = lambda prep, name=name: lambda n: [Spec(name, m) for m in m_grid(grid)]
            else:
                families[name] = lambda prep, name=name: lambda n, g=tuple(beta_grid(prep)): [
                    Spec(name, b) for b in g
                ]
        else:
            fixed[name] = [Spec(name, v) for v in values] if values else [Spec(name)]
    if bon_n == "auto":
        families["bon_n"] = lambda prep: lambda n: [
            Spec("bon", n_used=int(k)) for k in grid if math.isfinite(k) and k <= n
        ]

    if threads is None:
        threads = min(2, os.cpu_count() or 1)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be an integer >= 1; got {threads!r}")
    kwargs: dict[str, Any] = dict(reps=reps, seed=int(seed), replace=replace, r_max=r_max, threads=threads)
    tuning_record: dict[str, Any] = {}
    calibration: tuple[object, ...] = ()
    chosen_jobs: dict[str, list[Job]] = {}
    if families:
        cal_idx, held_idx = split_prompts(pool.n_prompts, calib_frac, int(seed))
        prep_cal = prepare(pool.subset(cal_idx), normalize)
        prep = prepare(pool.subset(held_idx), normalize)
        calibration = prep_cal.prompt_ids
        stream, split = HELDOUT_STREAM, "heldout"
        plans = {}
        for key, family in families.items():
            method = "bon" if key == "bon_n" else key
            candidates = family(prep_cal)
            plans[key] = (candidates, grid_of(method, limit=key != "bon_n"))
        total = sum(
            work_units(prep_cal, [(n, s) for n in ns for s in cands(n)], reps) for cands, ns in plans.values()
        )
        with _progress(progress and total > 2e6, total, "tuning on calibration prompts") as advance:
            for key, (candidates, ns) in plans.items():
                choices = choose(prep_cal, candidates, ns, advance=advance, **kwargs)
                chosen_jobs[key] = [(n, _tuned(spec)) for n, (spec, _) in choices.items()]
                tuning_record[key] = {
                    "parameter": choices[ns[0]][0].param_name,
                    "candidates": [_param(s) for s in candidates(ns[-1])],
                    "chosen": {_n_key(n): _param(spec) for n, (spec, _) in choices.items()},
                    "calibration_mean": {_n_key(n): score for n, (_, score) in choices.items()},
                    "calibration_prompts": len(cal_idx),
                }
    else:
        prep = prepare(pool, normalize)
        stream, split = 0, "all"
    jobs: list[Job] = []
    for name in [*methods, "bon_n"]:
        if name in chosen_jobs:
            jobs.extend(chosen_jobs[name])
        for spec in fixed.get(name, []):
            jobs.extend((n, spec) for n in grid_of(name))
    total = work_units(prep, jobs, reps, force_monte_carlo)
    with _progress(progress and total > 2e6, total, "evaluating") as advance:
        results = run_jobs(prep, jobs, stream=stream, force_mc=force_monte_carlo, advance=advance, **kwargs)
    rows, per_prompt = [], []
    for job in jobs:
        n, spec = job
        est = results[job]
        rows.append(_row(spec, n, est, prep, split, normalize))
        per_prompt.append(est.values)
    return LabTable(
        rows=rows,
        per_prompt=per_prompt,
        prompt_ids=prep.prompt_ids,
        pool_mean=prep.pool_mean,
        tuning=tuning_record,
        calibration_prompts=calibration,
    )


def _tuned(spec: Spec) -> Spec:
    return Spec(spec.method, spec.param, spec.n_used, tuned=True)


def _param(spec: Spec) -> float | None:
    return float(spec.n_used) if spec.n_used is not None else spec.param


def _n_key(n: float) -> str:
    return "inf" if math.isinf(n) else str(int(n))
