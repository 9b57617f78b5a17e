"""``align``: generate -> deduplicate -> score -> select, for a batch of prompts.

For each prompt, the chosen rule returns one response:

* a pool rule of :mod:`pessimism.select` (``itp`` by default, ``bon``, ``soft_bon``, ``topk``,
  ``uniform``): N candidates are sampled, scored (distinct texts once) and one is drawn from the rule's
  distribution ``selection_probs(method, rewards, ...)``;
* a voting rule (``majority_vote``, ``weighted_majority_vote``, ``best_of_majority``): answers are
  extracted by the task (or, without a task, the stripped lower-cased response is the answer);
* ``itp_algorithm1``: the paper's two-phase rejection sampler, streaming: phase 2 generates one
  candidate at a time and stops at the first acceptance, so it often generates far fewer than 2N.

Everything generated or scored goes through the disk cache first (see :mod:`.cache`), so an
interrupted run resumes where it stopped. A prompt that fails does not stop the others: they
finish, then :class:`AlignError` reports the failures. Each result reports candidates, tokens and
reward calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..models.base import Completion, Policy, Prompt, SamplingParams, run_sync
from ..rewards.base import RewardModel
from ..select import ITPAlgorithm1, RULES, chi2_lambda, get_rule, sample_index, selection_probs
from ..tasks.base import Task, TaskItem
from .cache import DiskCache
from .candidates import CandidateSource, Usage, reward_prompt

STREAMING_METHODS = ("itp_algorithm1",)
METHODS = tuple(RULES) + STREAMING_METHODS


@dataclass(frozen=True)
class AlignResult:
    """One aligned response and what it cost.

    ``candidates`` counts the candidates the method consumed (N for pool rules; N + phase-2 draws +
    fallback for Algorithm 1); ``tokens`` their generated tokens; ``reward_calls`` the distinct
    (prompt, response) pairs scored now (cached scores are not counted again).
    """

    prompt_id: str
    prompt: Prompt
    response: str
    method: str
    n: int
    params: dict[str, Any]
    chosen_index: int
    reward: float
    candidates: int
    tokens: int
    reward_calls: int
    generated: int
    probability: float | None = None
    lam_hat: float | None = None
    answer: str | None = None
    true_reward: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("params"))
        data.update(data.pop("extra"))
        return data


def _check_method(method: str, params: dict[str, Any]) -> None:
    if method in STREAMING_METHODS:
        missing = [p for p in ("beta", "r_max") if params.get(p) is None]
        if missing:
            raise ValueError(
                f"method {method!r} needs {' and '.join(missing)} (r_max: an upper bound on the reward model's "
                "scores, e.g. 1.0 for a probability-valued judge)"
            )
        return
    rule = get_rule(method)  # raises with the list of valid names
    needed = [p for p in rule.required if p != "answers" and params.get(p) is None]
    if needed:
        raise ValueError(f"method {method!r} needs parameter(s) {', '.join(needed)}")


def _answer_of(task: Task | None, response: str) -> str | None:
    if task is None:
        text = response.strip().lower()
        return text or None
    answer = task.extract_answer(response)
    return None if answer is None else task.answer_key(answer)


async def aalign(
    prompts: Sequence[Prompt | TaskItem],
    policy: Policy,
    reward: RewardModel,
    *,
    method: str = "itp",
    n: int = 16,
    beta: float | None = 1.0,
    k: int | None = None,
    alpha: float | None = None,
    r_max: float | None = None,
    seed: int = 0,
    params: SamplingParams | None = None,
    task: Task | None = None,
    cache: DiskCache | None = None,
    on_result: Callable[[AlignResult], None] | None = None,
) -> list[AlignResult]:
    """Align every prompt (see the module docstring). Prompts may be strings, chat messages or
    :class:`TaskItem` (then the task's verifier adds ``true_reward``). ``on_result`` is called as each
    prompt finishes (e.g. to append it to a file at once)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an integer >= 1; got {n!r}")
    rule_params = {"beta": beta, "k": k, "alpha": alpha, "r_max": r_max}
    _check_method(method, rule_params)
    sampling = params or SamplingParams(seed=seed)
    source = CandidateSource(policy, [("proxy_reward", reward)], sampling, cache)

    async def one(index: int, item: Prompt | TaskItem) -> AlignResult:
        rng = np.random.default_rng([seed, index])
        if isinstance(item, TaskItem):
            prompt_id, prompt = item.prompt_id, item.prompt
        else:
            prompt_id, prompt = str(index), item
        usage = Usage()
        judged = reward_prompt(item, prompt)
        if method in STREAMING_METHODS:
            result = await _align_algorithm1(source, prompt, judged, n, float(beta), float(r_max), rng, usage)  # type: ignore[arg-type]
        else:
            result = await _align_pool(source, prompt, judged, method, n, rule_params, task, rng, usage)
        chosen_text = result["response"]
        true_reward = None
        if isinstance(item, TaskItem) and task is not None:
            true_reward = task.true_reward(item, chosen_text)
        out = AlignResult(
            prompt_id=prompt_id,
            prompt=prompt,
            method=method,
            n=n,
            params={key: value for key, value in rule_params.items() if value is not None},
            candidates=usage.candidates,
            tokens=usage.tokens,
            reward_calls=usage.reward_calls,
            generated=usage.generated,
            true_reward=true_reward,
            answer=None if task is None else _answer_of(task, chosen_text),
            **result,
        )
        if on_result is not None:
            on_result(out)
        return out

    outcomes = await asyncio.gather(*(one(i, p) for i, p in enumerate(prompts)), return_exceptions=True)
    failures = [(i, o) for i, o in enumerate(outcomes) if isinstance(o, BaseException)]
    if failures:
        done = [o for o in outcomes if isinstance(o, AlignResult)]
        raise AlignError(done, failures)
    return list(outcomes)  # type: ignore[arg-type]


class AlignError(RuntimeError):
    """Some prompts failed. The others finished (their work is cached and ``on_result`` saw them);
    ``results`` holds them and ``failures`` the ``(prompt index, exception)`` pairs. Re-running with
    the same cache redoes only what failed."""

    def __init__(self, results: list[AlignResult], failures: list[tuple[int, BaseException]]) -> None:
        self.results = results
        self.failures = failures
        index, first = failures[0]
        super().__init__(
            f"{len(failures)} of {len(results) + len(failures)} prompts failed; the first (prompt {index}): "
            f"{type(first).__name__}: {first}. The other prompts finished and are cached: re-run to retry"
        )
        self.__cause__ = first


async def _align_pool(
    source: CandidateSource,
    prompt: Prompt,
    judged: Prompt,
    method: str,
    n: int,
    rule_params: dict[str, Any],
    task: Task | None,
    rng: np.random.Generator,
    usage: Usage,
) -> dict[str, Any]:
    completions = await source.completions(prompt, 0, n, usage)
    rewards = np.asarray(await source.scores(judged, completions, usage))
    rule = get_rule(method)
    kwargs = {p: rule_params[p] for p in rule.required + rule.optional if rule_params.get(p) is not None}
    if rule.needs_answers:
        kwargs["answers"] = np.array([_answer_of(task, c.text) for c in completions], dtype=object)
    probs = selection_probs(method, rewards, **kwargs)
    chosen = int(sample_index(probs, rng))
    extra: dict[str, Any] = {}
    if method == "itp":
        extra["lam_hat"] = float(chi2_lambda(rewards, rule_params["beta"]))
    return {
        "response": completions[chosen].text,
        "chosen_index": chosen,
        "reward": float(rewards[chosen]),
        "probability": float(probs[chosen]),
        **extra,
    }


async def _align_algorithm1(
    source: CandidateSource,
    prompt: Prompt,
    judged: Prompt,
    n: int,
    beta: float,
    r_max: float,
    rng: np.random.Generator,
    usage: Usage,
) -> dict[str, Any]:
    next_index = 0

    async def draw(count: int) -> list[tuple[Completion, float]]:
        nonlocal next_index
        completions = await source.completions(prompt, next_index, next_index + count, usage)
        next_index += count
        scores = await source.scores(judged, completions, usage)
        return list(zip(completions, scores))

    out = await ITPAlgorithm1(beta=beta, n=n, r_max=r_max).arun(draw, rng)
    return {
        "response": out.candidate.text,
        "chosen_index": out.total_draws - 1,
        "reward": out.reward,
        "lam_hat": out.lam_hat,
        "extra": {
            "source": out.source,
            "phase2_draws": out.phase2_draws,
            "fallback_draws": out.fallback_draws,
        },
    }


def align(prompts: Sequence[Prompt | TaskItem], policy: Policy, reward: RewardModel, **kwargs: Any) -> list[AlignResult]:
    """Sync wrapper of :func:`aalign` (same arguments)."""
    return run_sync(aalign(prompts, policy, reward, **kwargs))
