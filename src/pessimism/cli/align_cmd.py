"""``pessimism align`` and ``pessimism generate``: the pipeline from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from ._errors import friendly_errors

DEFAULT_CACHE = Path(".pessimism-cache") / "cache.sqlite"


def _load_prompts(task: Optional[str], prompts_file: Optional[Path], limit: Optional[int]) -> tuple[Any, list[Any]]:
    """The task (or None) and the items/prompts to run, honouring ``--limit``."""
    if (task is None) == (prompts_file is None):
        raise ValueError("give exactly one of --task NAME or --prompts FILE")
    if limit is not None and limit < 1:
        raise ValueError(f"--limit must be >= 1; got {limit}")
    if task is not None:
        from ..tasks import load_task

        loaded = load_task(task)
        items = loaded.items()
        return loaded, items[:limit] if limit else items
    assert prompts_file is not None
    if not prompts_file.is_file():
        raise ValueError(f"--prompts {prompts_file}: no such file")
    prompts: list[Any] = []
    for lineno, line in enumerate(prompts_file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if prompts_file.suffix == ".jsonl":
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{prompts_file} line {lineno}: not valid JSON ({exc})") from None
            if not isinstance(row, dict) or not isinstance(row.get("prompt"), (str, list)):
                raise ValueError(f"{prompts_file} line {lineno}: expected an object with a 'prompt' field")
            prompts.append(row["prompt"])
        else:
            prompts.append(line)
    if not prompts:
        raise ValueError(f"{prompts_file} holds no prompts")
    return None, prompts[:limit] if limit else prompts


def _sampling(seed: int, temperature: float, top_p: float, max_tokens: int, stop: list[str]) -> Any:
    from ..models.base import SamplingParams

    return SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed, stop=tuple(stop))


def _reward_columns(specs: list[str], policy: Any) -> list[tuple[str, Any]]:
    """``--reward NAME=SPEC`` or ``--reward SPEC`` (column named after the spec)."""
    from ..rewards import load_reward

    out = []
    for spec in specs:
        name, sep, rest = spec.partition("=")
        if not sep:
            name, rest = spec.replace(":", "_").replace("/", "_"), spec
        out.append((name, load_reward(rest, policy)))
    return out


def register(app: typer.Typer) -> None:
    @app.command("align")
    @friendly_errors
    def align_cmd(
        out: Path = typer.Option(..., "--out", help="Output JSONL: one line per prompt."),
        task: Optional[str] = typer.Option(None, help="A bundled task with ground truth (e.g. capitals, gsm8k)."),
        prompts: Optional[Path] = typer.Option(None, help="Prompts file: .jsonl with a 'prompt' field, or one per line."),
        limit: Optional[int] = typer.Option(None, help="Only the first K prompts."),
        n: int = typer.Option(16, help="Candidates per prompt (phase-1 size for itp_algorithm1)."),
        method: str = typer.Option("itp", help="Selection rule: itp, bon, soft_bon, topk, uniform, majority_vote, "
                                   "weighted_majority_vote, best_of_majority, itp_algorithm1."),
        beta: Optional[float] = typer.Option(None, help="beta of itp / soft_bon / itp_algorithm1 (reward units)."),
        k: Optional[int] = typer.Option(None, help="k of topk."),
        alpha: Optional[float] = typer.Option(None, help="alpha of best_of_majority."),
        r_max: Optional[float] = typer.Option(None, help="Upper bound on rewards (itp_algorithm1)."),
        seed: int = typer.Option(0, help="Sampling seed: sample j of a prompt uses seed + j."),
        policy: str = typer.Option("embedded", help="Policy spec (see `pessimism models`)."),
        reward: str = typer.Option("judge", help="Reward model spec (judge, judge:strict, self_certainty, hf:..., http:...)."),
        temperature: float = typer.Option(1.0),
        top_p: float = typer.Option(1.0),
        max_tokens: int = typer.Option(32),
        stop: list[str] = typer.Option([], help="Stop string (repeatable)."),
        cache: Path = typer.Option(DEFAULT_CACHE, help="Disk cache of generations and scores (resume)."),
    ) -> None:
        """Align each prompt: sample N, score, choose with the rule; write one JSON line per prompt."""
        from ..align import DiskCache, align
        from ..models import load_policy
        from ._progress import progress_bar

        loaded_task, items = _load_prompts(task, prompts, limit)
        if beta is None and method in ("itp", "soft_bon", "itp_algorithm1"):
            beta = 1.0
        policy_obj = load_policy(policy)
        rew = _reward_columns([reward], policy_obj)[0][1]
        params = _sampling(seed, temperature, top_p, max_tokens, stop or _default_stop(loaded_task))
        out.parent.mkdir(parents=True, exist_ok=True)
        with DiskCache(cache) as store, out.open("w", encoding="utf-8") as sink, progress_bar(
            f"align {method} n={n}", len(items)
        ) as advance:

            def write(result: Any) -> None:
                sink.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
                sink.flush()
                advance()

            results = align(
                items, policy_obj, rew, method=method, n=n, beta=beta, k=k, alpha=alpha, r_max=r_max,
                seed=seed, params=params, task=loaded_task, cache=store, on_result=write,
            )
        # lines were appended as prompts finished (nothing lost on a crash); now put them in input order
        _write_jsonl([r.to_dict() for r in results], out)
        _print_summary(results, out)

    @app.command("generate")
    @friendly_errors
    def generate_cmd(
        out: Path = typer.Option(..., "--out", help="Pool file (.parquet or .jsonl) for `pessimism lab`."),
        task: str = typer.Option("capitals", help="Task with ground truth."),
        limit: Optional[int] = typer.Option(None, help="Only the first K prompts."),
        samples: int = typer.Option(32, help="M: responses per prompt."),
        reward: list[str] = typer.Option(["judge"], help="Reward model(s), NAME=SPEC or SPEC; repeatable."),
        policy: str = typer.Option("embedded"),
        seed: int = typer.Option(0),
        temperature: float = typer.Option(1.0),
        top_p: float = typer.Option(1.0),
        max_tokens: int = typer.Option(32),
        stop: list[str] = typer.Option([]),
        cache: Path = typer.Option(DEFAULT_CACHE, help="Disk cache of generations and scores (resume)."),
        concurrency: int = typer.Option(4, help="Prompts in flight at once (server backends)."),
    ) -> None:
        """Build a pool: M samples per prompt with proxy rewards and true rewards, for the lab."""
        from ..align import DiskCache
        from ..align.pool_builder import abuild_pool
        from ..lab import write_pool
        from ..models import load_policy
        from ..models.base import run_sync
        from ._progress import progress_bar

        loaded_task, items = _load_prompts(task, None, limit)
        pol = load_policy(policy)
        rewards = _reward_columns(reward, pol)
        params = _sampling(seed, temperature, top_p, max_tokens, stop or _default_stop(loaded_task))
        with DiskCache(cache) as store, progress_bar(f"generate M={samples}", len(items)) as advance:
            rows = run_sync(
                abuild_pool(items, pol, rewards, loaded_task, samples=samples, params=params, cache=store,
                            concurrency=concurrency, on_prompt=lambda item, usage: advance())
            )
        path = write_pool(rows, out) if out.suffix != ".jsonl" else _write_jsonl(rows, out)
        typer.echo(f"wrote {len(rows)} rows ({len(items)} prompts x {samples}) to {path}")


def _default_stop(task: Any) -> list[str]:
    return list(getattr(task, "stop", ()) or ())


def _write_jsonl(rows: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def _print_summary(results: list[Any], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(results)} prompts aligned -> {out}")
    for col in ("prompt", "response", "reward", "true", "cands", "tokens"):
        table.add_column(col, overflow="fold")
    for r in results[:20]:
        prompt = r.prompt if isinstance(r.prompt, str) else r.prompt[-1]["content"]
        table.add_row(
            prompt[-60:], r.response.strip()[:40], f"{r.reward:.3g}",
            "" if r.true_reward is None else f"{r.true_reward:g}", str(r.candidates), str(r.tokens),
        )
    console = Console()
    console.print(table)
    truths = [r.true_reward for r in results if r.true_reward is not None]
    if truths:
        console.print(f"mean true reward: {sum(truths) / len(truths):.3f} over {len(truths)} prompts")
