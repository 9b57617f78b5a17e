"""``run_lab``: evaluate a pool, write ``results.csv``, ``summary.json``, ``scaling.png``, print a report.

This is what ``pessimism lab`` runs; it adds files and a printed report to :func:`evaluate`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..plot import plot_scaling
from .diagnostics import coverage, hacking_verdict, rm_error
from .evaluate import evaluate
from .io import load_pool
from .pool import Pool
from .table import LabTable


@dataclass
class LabResult:
    table: LabTable
    summary: dict[str, Any]
    results_csv: Path
    summary_json: Path
    scaling_png: Path


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else None)
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):
        return _json_safe(value.item())
    return value


def run_lab(
    pool: Pool | str | Path,
    out: str | Path,
    *,
    proxy: str = "proxy_reward",
    truth: str = "true_reward",
    drop_invalid: bool = False,
    x: str = "n",
    correct_threshold: float = 0.5,
    print_report: bool = True,
    console: Any = None,
    **evaluate_kwargs: Any,
) -> LabResult:
    """Load (if a path), evaluate, write ``out/results.csv``, ``out/summary.json``, ``out/scaling.png``.

    ``x`` is ``"n"`` (budget) or ``"compute"`` (expected candidates generated per prompt) for the plot.
    Other keyword arguments go to :func:`evaluate`. Diagnostics (coverage, RM error) describe the whole
    pool; the curves and the reward-hacking verdict use the reported (held-out, when tuning) prompts.
    """
    if x not in ("n", "compute"):
        raise ValueError(f"x must be 'n' or 'compute'; got {x!r}")
    if not isinstance(pool, Pool):
        if print_report:
            from rich.console import Console

            with Console(stderr=True).status(f"reading {pool}"):
                pool = load_pool(pool, proxy=proxy, truth=truth, drop_invalid=drop_invalid)
        else:
            pool = load_pool(pool, proxy=proxy, truth=truth, drop_invalid=drop_invalid)
    started = time.perf_counter()
    table = evaluate(pool, **evaluate_kwargs)
    seconds = time.perf_counter() - started
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_csv = table.to_csv(out_dir / "results.csv")
    settings = {k: v for k, v in evaluate_kwargs.items() if k != "progress"}
    summary: dict[str, Any] = {
        "pool": {
            "source": pool.source,
            "proxy": pool.proxy_name,
            "truth": pool.truth_name,
            "n_prompts": pool.n_prompts,
            "n_responses": pool.n_responses,
            "pool_size_min": int(pool.sizes.min()),
            "pool_size_max": int(pool.sizes.max()),
            "n_dropped": pool.n_dropped,
            "has_answers": pool.answers is not None,
        },
        "settings": settings,
        "evaluated_prompts": len(table.prompt_ids),
        "split": table.rows[0]["split"] if table.rows else None,
        "seconds": seconds,
        "coverage": coverage(pool, correct_threshold),
        "rm_error": rm_error(pool),
        "reward_hacking": hacking_verdict(table),
        "tuning": table.tuning,
    }
    summary_json = out_dir / "summary.json"
    summary_json.write_text(json.dumps(_json_safe(summary), indent=2) + "\n", encoding="utf-8")
    oracle_rows = [r for r in table.rows if r["method"] == "oracle"]
    curve_rows = [r for r in table.rows if r["method"] != "oracle"] + oracle_rows
    scaling_png = plot_scaling(
        curve_rows,
        out_dir / "scaling.png",
        x=x,
        label_keys=("method", "setting"),
        title=f"{Path(pool.source).name}: {len(table.prompt_ids)} prompts"
        + (" (held-out)" if table.tuning else ""),
        xlabel="N (candidates)" if x == "n" else "expected candidates generated per prompt",
    )
    result = LabResult(table, summary, results_csv, summary_json, scaling_png)
    if print_report:
        print_lab_report(result, console)
    return result


def _columns(ns: list[float], room: int) -> list[float]:
    """At most ``room`` budgets, spread over the grid, always keeping the first and the last."""
    room = max(room, 2)
    if len(ns) <= room:
        return ns
    picks = {round(i * (len(ns) - 1) / (room - 1)) for i in range(room)}
    return [ns[i] for i in sorted(picks)]


def print_lab_report(result: LabResult, console: Any = None) -> None:
    """A compact rich table (rows = curves, columns = N) and the diagnostics."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table, summary = result.table, result.summary
    lines: dict[str, dict[float, dict[str, Any]]] = {}
    for row in table.rows:
        lines.setdefault(f"{row['method']} {row['setting']}".strip(), {})[row["n"]] = row
    label_width = max(len(name) for name in lines) if lines else 6
    ns = _columns(sorted({r["n"] for r in table.rows}), (console.width - label_width - 10) // 7)
    grid = Table(
        title=f"mean true reward ({summary['split']} prompts: {summary['evaluated_prompts']})",
        box=None, pad_edge=False, padding=(0, 1),
    )
    grid.add_column("curve", no_wrap=True)
    for n in ns:
        grid.add_column("inf" if math.isinf(n) else f"{n:g}", justify="right", no_wrap=True)
    grid.add_column("max se", justify="right", no_wrap=True)
    for name, by_n in lines.items():
        cells = [f"{by_n[n]['mean_true_reward']:.3f}" if n in by_n else "" for n in ns]
        se = max(r["stderr"] for r in by_n.values())
        grid.add_row(name, *cells, f"{se:.3f}")
    console.print(grid)
    cov = summary["coverage"]
    rm = summary["rm_error"]
    if summary["pool"]["n_dropped"]:
        console.print(f"dropped {summary['pool']['n_dropped']} rows with an invalid reward (--drop-invalid)")
    console.print(
        f"coverage: {cov['share_prompts_with_correct']:.1%} of prompts have a correct response; "
        f"median correct fraction {cov['correct_fraction_quantiles']['0.5']:.3f}"
    )
    console.print(
        f"reward model vs truth after affine fit: eps2={rm['eps2']:.4f} (within prompt "
        f"{rm['within_prompt']['eps2']:.4f}), pearson={rm['pearson'] if rm['pearson'] is None else round(rm['pearson'], 3)}"
    )
    console.print(summary["reward_hacking"]["verdict"])
    for key, record in table.tuning.items():
        chosen = ", ".join(f"N={n}: {v:.4g}" for n, v in record["chosen"].items())
        console.print(f"tuned {key} ({record['parameter']}) on {record['calibration_prompts']} calibration prompts: {chosen}")
    console.print(
        f"wrote {result.results_csv}, {result.summary_json}, {result.scaling_png} ({summary['seconds']:.1f} s)"
    )
