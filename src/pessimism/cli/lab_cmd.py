"""``pessimism lab POOL --out DIR``: scaling curves of every rule on a pool file.

Writes ``DIR/results.csv`` (one row per method, setting and N), ``DIR/summary.json`` (diagnostics,
tuning choices, the reward-hacking verdict) and ``DIR/scaling.png``, and prints a compact report.
The logic lives in :mod:`pessimism.lab`; this module only parses options.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from ._errors import friendly_errors


def _names(text: str, option: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise ValueError(f"{option} is empty; give comma-separated names")
    return names


def _numbers(text: str, option: str, allow_auto: bool = True, allow_inf: bool = False) -> list[float] | str:
    text = text.strip()
    if allow_auto and text == "auto":
        return "auto"
    out: list[float] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if allow_inf and part.lower() in ("inf", "infinity"):
            out.append(math.inf)
            continue
        try:
            out.append(float(part))
        except ValueError:
            hint = " or 'auto'" if allow_auto else ""
            raise ValueError(f"{option} must be comma-separated numbers{hint}; {part!r} is not a number") from None
    if not out:
        raise ValueError(f"{option} is empty")
    return out


def register(app: typer.Typer) -> None:
    @app.command("lab")
    @friendly_errors
    def lab(
        pool: Path = typer.Argument(..., help="Pool file (.jsonl or .parquet): one row per sampled response."),
        out: Path = typer.Option(..., "--out", "-o", help="Directory for results.csv, summary.json, scaling.png."),
        proxy: str = typer.Option("proxy_reward", help="Column with the proxy reward the rules select on."),
        truth: str = typer.Option("true_reward", help="Column with the true reward they are judged by."),
        methods: str = typer.Option(
            "bon,itp,soft_bon,uniform,oracle",
            help="Comma-separated: bon, uniform, topk, best_of_poisson, oracle, itp, soft_bon, itp_alg1, "
            "majority_vote, weighted_majority_vote, best_of_majority.",
        ),
        n: str = typer.Option("", "--n", help="Budgets N, e.g. 1,2,4,8 (default: powers of 2 up to the pool size)."),
        beta: str = typer.Option("0.5", help="beta of itp / itp_alg1 (comma list, or 'auto' to tune per N)."),
        tau: str = typer.Option("", help="Temperature of soft_bon (comma list or 'auto'; default: --beta)."),
        topk_m: str = typer.Option("4", "--topk-m", help="m of topk, k = ceil(N/m) (comma list or 'auto')."),
        bon_n: bool = typer.Option(False, "--tune-bon-n", help="Add BoN whose own N (<= the budget) is tuned."),
        alpha: float = typer.Option(0.5, help="Answer-frequency threshold of best_of_majority."),
        normalize: str = typer.Option("none", help="Per-prompt reward normalization: none, zscore or rank."),
        reps: int = typer.Option(100, help="Monte Carlo replicates per (method, N)."),
        seed: int = typer.Option(0, help="Seed of the calibration split and of every Monte Carlo draw."),
        calib_frac: float = typer.Option(0.5, help="Share of prompts used for tuning ('auto' parameters)."),
        without_replacement: bool = typer.Option(False, "--without-replacement", help="Draw the N candidates without replacement."),
        drop_invalid: bool = typer.Option(False, "--drop-invalid", help="Drop rows with a missing / non-numeric reward."),
        limit: bool = typer.Option(True, help="Add the exact N = inf rows (the rule on the whole pool)."),
        x: str = typer.Option("n", "--x", help="Plot against 'n' or 'compute' (expected candidates generated)."),
        r_max: float = typer.Option(None, help="Reward bound of itp_alg1 (default: each prompt's pool maximum)."),
        threshold: float = typer.Option(0.5, help="A response counts as correct when its truth >= this."),
        progress: bool = typer.Option(True, help="Show a progress bar on long evaluations."),
    ) -> None:
        """Evaluate every rule at every budget N on a pool of sampled responses."""
        from rich.console import Console

        from ..lab import run_lab

        grid = _numbers(n, "--n", allow_auto=False, allow_inf=True) if n.strip() else None
        run_lab(
            pool,
            out,
            proxy=proxy,
            truth=truth,
            drop_invalid=drop_invalid,
            x=x,
            correct_threshold=threshold,
            console=Console(),
            methods=_names(methods, "--methods"),
            n_grid=grid,
            betas=_numbers(beta, "--beta"),
            taus=_numbers(tau, "--tau") if tau.strip() else None,
            topk_m=_numbers(topk_m, "--topk-m"),
            bon_n="auto" if bon_n else None,
            alpha=alpha,
            normalize=normalize,
            reps=reps,
            seed=seed,
            calib_frac=calib_frac,
            without_replacement=without_replacement,
            include_limit=limit,
            r_max=r_max,
            progress=progress,
        )
