"""``pessimism demo``: the main job on the embedded default, end to end, in about a minute or two.

1. Align a handful of ``capitals`` questions (few-shot form, for the embedded *base* Gemma 3 270M) with
   Best-of-N and with ITP at the same N; the judge is the same Gemma under a few-shot verification
   prompt: a real, imperfect reward model.
2. Turn those questions into a small pool (M samples each, reusing the samples already drawn), and
   let the lab show what every rule buys at each budget N, exactly where it can.

Everything is cached under ``--out``, so running it again is instant.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ._errors import friendly_errors

DEMO_POLICY = "embedded?chat_template=none"
DEMO_REWARD = "judge:fewshot"
DEMO_TASK = "capitals_fewshot"


def register(app: typer.Typer) -> None:
    @app.command("demo")
    @friendly_errors
    def demo(
        out: Path = typer.Option(Path("pessimism-demo"), "--out", help="Directory for the outputs and the cache."),
        prompts: int = typer.Option(12, help="How many capitals questions."),
        n: int = typer.Option(8, help="Candidates per question for BoN and ITP."),
        samples: int = typer.Option(32, help="Pool size M per question for the lab."),
        beta: float = typer.Option(0.25, help="ITP's beta, in judge log-odds units."),
        seed: int = typer.Option(0),
    ) -> None:
        """Align capitals questions on the embedded model with BoN and ITP, then evaluate a pool."""
        from rich.console import Console
        from rich.table import Table

        from ..align import DiskCache, align
        from ..align.pool_builder import abuild_pool
        from ..lab import run_lab, write_pool
        from ..models import load_policy
        from ..models.base import SamplingParams, run_sync
        from ..rewards import load_reward
        from ..tasks import load_task
        from ._progress import progress_bar

        if samples < n:
            raise ValueError(f"--samples ({samples}) must be at least --n ({n}): the pool reuses the aligned samples")
        console = Console()
        console.rule("[bold]pessimism demo")
        console.print(
            "Policy: the embedded Gemma 3 270M (a small base model, via llama.cpp). Reward model: the same "
            "Gemma asked, few-shot, whether an answer is correct: cheap, real, and often wrong.\n"
            "Best-of-N trusts that judge completely; ITP trusts it only as far as the samples support it."
        )
        task = load_task(DEMO_TASK)
        items = task.items()[:prompts]
        policy = load_policy(DEMO_POLICY)
        judge = load_reward(DEMO_REWARD, policy)
        params = SamplingParams(temperature=1.0, max_tokens=12, seed=seed, stop=("\n",))
        out.mkdir(parents=True, exist_ok=True)
        with DiskCache(out / "cache.sqlite") as cache:
            results = {}
            for method in ("bon", "itp"):
                with progress_bar(f"align {method:>3} N={n}", len(items)) as advance:
                    results[method] = align(
                        items, policy, judge, method=method, n=n, beta=beta, seed=seed, params=params,
                        task=task, cache=cache, on_result=lambda _: advance(),
                    )
            table = Table(title=f"{len(items)} capitals, N = {n} samples each")
            table.add_column("country")
            table.add_column("Best-of-N answer")
            table.add_column("ITP answer")
            for item, b, i in zip(items, results["bon"], results["itp"]):
                table.add_row(
                    str(item.meta.get("country", item.prompt_id)),
                    _mark(b.response, b.true_reward), _mark(i.response, i.true_reward),
                )
            console.print(table)
            for method, rows in results.items():
                acc = sum(r.true_reward or 0.0 for r in rows) / len(rows)
                console.print(
                    f"{method:>3}: accuracy {acc:.2f}; {sum(r.candidates for r in rows)} candidates, "
                    f"{sum(r.tokens for r in rows)} tokens, {sum(r.reward_calls for r in rows)} judge calls "
                    "(identical answers are judged once)"
                )

            with progress_bar(f"pool M={samples}", len(items)) as advance:
                rows = run_sync(abuild_pool(
                    items, policy, [("judge", judge)], task, samples=samples, params=params, cache=cache,
                    on_prompt=lambda item, usage: advance(),
                ))
        pool_path = write_pool(rows, out / "pool.parquet")
        console.rule("[bold]the lab: every rule at every budget N on that pool")
        result = run_lab(
            pool_path, out / "lab", methods=["bon", "itp", "uniform", "oracle"], betas=[beta], reps=200,
            seed=seed, console=console,
        )
        console.print(
            f"\nWrote {pool_path}, {result.results_csv}, {result.summary_json} and {result.scaling_png}.\n"
            "Reading it: 'oracle' is the best any selector could do (some sample is right); 'uniform' is the "
            "model alone. Where Best-of-N falls as N grows, the judge is being exploited: it has found "
            "answers it overrates. ITP's curve should not fall. The committed real benchmark "
            "(benchmarks/capitals, 192 questions x 128 samples) shows the same at scale: see the README."
        )


def _mark(response: str, truth: float | None) -> str:
    text = response.strip()[:28] or "(empty)"
    if truth is None:
        return text
    return f"[green]✓ {text}[/green]" if truth >= 0.5 else f"[red]✗ {text}[/red]"
