"""Pool and curve diagnostics: coverage, reward-model error, and a reward-hacking verdict.

* **Coverage**: the share of prompts with at least one correct response (the ceiling of any
  selection rule: pass@M), and the distribution of the per-prompt correct fraction ``c_p`` (the
  ceiling of pass@N is ``1 - (1 - c_p)^N``). A response is correct when its true reward is
  ``>= correct_threshold`` (0.5 suits 0/1 verifiers).
* **Reward-model error after an affine fit**: reward models are only defined up to scale and offset,
  so the raw ``E[(r_hat - r_star)^2]`` is meaningless; we report the residual mean squared error of
  the best affine map ``a r_hat + b`` (``eps2`` of DESIGN.md section 1), globally and *within prompt*
  (a common slope with a free intercept per prompt: only within-prompt errors matter for selection).
* **Reward hacking**: for each curve, the N at which it peaks and the drop from the peak to the
  largest finite N, with the standard error of that drop from the paired per-prompt differences.
  A drop above two standard errors is reported as reward hacking.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .pool import Pool
from .table import LabTable

HIST_EDGES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def coverage(pool: Pool, correct_threshold: float = 0.5) -> dict[str, Any]:
    """Share of prompts with a correct response and the distribution of per-prompt correct fractions."""
    correct = (pool.truth >= correct_threshold) & pool.mask
    frac = correct.sum(axis=1) / pool.sizes
    values = pool.truth[pool.mask]
    hist: dict[str, int] = {"0": int((frac == 0).sum())}
    for lo, hi in zip(HIST_EDGES[:-1], HIST_EDGES[1:]):
        inside = (frac > lo) & ((frac <= hi) if hi < 1 else (frac < 1))
        hist[f"({lo:g},{hi:g}{']' if hi < 1 else ')'}"] = int(inside.sum())
    hist["1"] = int((frac == 1).sum())
    return {
        "correct_threshold": correct_threshold,
        "truth_is_binary": bool(np.isin(values, (0.0, 1.0)).all()),
        "share_prompts_with_correct": float((frac > 0).mean()),
        "mean_correct_fraction": float(frac.mean()),
        "correct_fraction_quantiles": {
            q: float(np.quantile(frac, float(q))) for q in ("0", "0.1", "0.25", "0.5", "0.75", "0.9", "1")
        },
        "correct_fraction_histogram": hist,
    }


def rm_error(pool: Pool) -> dict[str, Any]:
    """Reward-model error against the truth after the best affine fit (global and within prompt)."""
    x = pool.proxy[pool.mask]
    y = pool.truth[pool.mask]
    vx = float(x.var())
    a = float(((x - x.mean()) * (y - y.mean())).mean() / vx) if vx > 0 else 0.0
    b = float(y.mean() - a * x.mean())
    resid = y - (a * x + b)
    vy = float(y.var())
    n = pool.sizes[:, None]
    xd = np.where(pool.mask, pool.proxy - np.where(pool.mask, pool.proxy, 0).sum(1, keepdims=True) / n, 0.0)
    yd = np.where(pool.mask, pool.truth - np.where(pool.mask, pool.truth, 0).sum(1, keepdims=True) / n, 0.0)
    sxx = float((xd**2).sum())
    slope = float((xd * yd).sum() / sxx) if sxx > 0 else 0.0
    within = float(((yd - slope * xd)[pool.mask] ** 2).mean())
    return {
        "affine_fit": {"slope": a, "intercept": b},
        "eps2": float((resid**2).mean()),
        "rmse": float(math.sqrt((resid**2).mean())),
        "r2": float(1 - (resid**2).mean() / vy) if vy > 0 else None,
        "pearson": float(np.corrcoef(x, y)[0, 1]) if vx > 0 and vy > 0 else None,
        "within_prompt": {
            "slope": slope,
            "eps2": within,
            "r2": float(1 - within / float((yd[pool.mask] ** 2).mean())) if (yd[pool.mask] ** 2).mean() > 0 else None,
        },
    }


def curve_drops(table: LabTable) -> list[dict[str, Any]]:
    """Per curve (method, setting): peak N, peak value, drop to the largest finite N and its stderr."""
    lines: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in table.rows:
        if math.isfinite(row["n"]):
            lines.setdefault((row["method"], row["setting"]), []).append(row)
    out = []
    for (method, setting), rows in lines.items():
        rows = sorted(rows, key=lambda r: r["n"])
        peak = max(rows, key=lambda r: r["mean_true_reward"])
        last = rows[-1]
        diff = table.values_of(peak) - table.values_of(last)
        p = len(diff)
        se = float(diff.std(ddof=1) / math.sqrt(p)) if p > 1 else 0.0
        se = math.sqrt(se**2 + (peak["mc_stderr"] ** 2 + last["mc_stderr"] ** 2 if p == 1 else 0.0))
        drop = float(diff.mean())
        out.append({
            "method": method,
            "setting": setting,
            "peak_n": peak["n"],
            "peak_mean": peak["mean_true_reward"],
            "last_n": last["n"],
            "last_mean": last["mean_true_reward"],
            "drop": drop,
            "drop_stderr": se,
            "significant": bool(drop > 2 * se and drop > 0 and peak is not last),
        })
    return out


def hacking_verdict(table: LabTable) -> dict[str, Any]:
    """The reward-hacking verdict: BoN's peak N and drop to the largest N (plus every curve's)."""
    drops = curve_drops(table)
    bon = next((d for d in drops if d["method"] == "bon" and d["setting"] == ""), None)
    if bon is None:
        verdict = "no plain BoN curve was evaluated"
    elif bon["significant"]:
        verdict = (
            f"reward hacking: BoN peaks at N={bon['peak_n']:g} ({bon['peak_mean']:.4f}) and loses "
            f"{bon['drop']:.4f} +/- {bon['drop_stderr']:.4f} by N={bon['last_n']:g}"
        )
    else:
        verdict = (
            f"no significant reward hacking: BoN's drop from its peak (N={bon['peak_n']:g}) to N={bon['last_n']:g} "
            f"is {bon['drop']:.4f} +/- {bon['drop_stderr']:.4f}"
        )
    return {"verdict": verdict, "bon": bon, "curves": drops}
