"""The alignment of one request: ``pessimism.align.aalign`` on one prompt, with what the response needs.

The pipeline does the work (generate the N candidates in one policy call, score the distinct ones,
select with the rule); this module only wraps the policy and the reward model of the request so the
response can show every candidate's score, relay the chosen candidate's raw upstream choice and
count tokens:

* the policy is a :class:`~.upstream.RequestView` (the request's pass-through fields and meter);
* the reward model is a :class:`RecordingReward`, which remembers each distinct response's score.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..align import AlignError, aalign
from ..models._http import BackendError
from ..models.base import Completion, Prompt, SamplingParams
from .selection import Selection
from .upstream import Meter, RequestView


class RewardFailed(Exception):
    """The reward model failed while scoring this request's candidates (``upstream``: it was an
    upstream call that failed, a 502; otherwise the reward model itself, a 500)."""

    def __init__(self, message: str, upstream: bool) -> None:
        super().__init__(message)
        self.upstream = upstream


async def _scored(aw: Any, name: str) -> list[float]:
    try:
        return list(await aw)
    except BackendError as exc:
        raise RewardFailed(f"the reward model {name} failed: {exc}", upstream=True) from exc
    except ValueError as exc:
        raise RewardFailed(f"the reward model {name} failed: {exc}", upstream=False) from exc


class RecordingReward:
    """A reward model that records ``response text -> score`` of what it scored (one request only)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.scores: dict[str, float] = {}

    @property
    def name(self) -> str:
        return str(self.inner.name)

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        out = await _scored(self.inner.ascore(prompts, responses), self.name)
        self.scores.update(zip(responses, (float(s) for s in out)))
        return out

    def __getattr__(self, attr: str) -> Any:
        if attr == "ascore_completions" and hasattr(self.inner, "ascore_completions"):

            async def ascore_completions(prompts: Sequence[Prompt], completions: Sequence[Completion]) -> list[float]:
                out = await _scored(self.inner.ascore_completions(prompts, completions), self.name)
                self.scores.update(zip((c.text for c in completions), (float(s) for s in out)))
                return out

            return ascore_completions
        raise AttributeError(attr)

    def score(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        raise RuntimeError("RecordingReward is async-only (the server runs in an event loop)")


@dataclass(frozen=True)
class Aligned:
    """One aligned request: the chosen candidate and the whole selection's record."""

    chosen: Completion
    raw_choice: dict[str, Any] | None  # the upstream's own choice object for ``chosen`` (upstream only)
    chosen_index: int
    scores: tuple[float, ...]  # every candidate's proxy reward, in drawing order
    probability: float | None  # the rule's probability of the chosen candidate (pool rules)
    lam_hat: float | None
    candidates: int
    completion_tokens: int  # generated tokens of all candidates
    prompt_tokens: int  # prompt tokens, once per upstream request (as the upstream reports them)
    upstream_requests: int
    reward_calls: int
    extra: dict[str, Any]


async def align_one(
    policy: Any,
    reward: Any,
    prompt: Prompt,
    selection: Selection,
    sampling: SamplingParams,
    *,
    extras: dict[str, Any],
    selection_seed: int | None,
    count_prompt_tokens: Any = None,
) -> Aligned:
    """Sample ``selection.n`` candidates of ``prompt``, score them and choose one (see module docstring).

    ``selection_seed`` seeds the choice among candidates (the request's ``seed``); ``None`` draws a
    fresh one. The sampling seed is ``sampling.seed`` (``None``: the backend's own entropy).
    """
    meter = Meter()
    view = RequestView(policy, extras, meter, count_prompt_tokens)
    recorder = RecordingReward(reward)
    seed = selection_seed if selection_seed is not None else secrets.randbits(63)
    kw = selection.kwargs
    try:
        (result,) = await aalign(
            [prompt], view, recorder, method=selection.method, n=selection.n, beta=kw.get("beta"),
            k=kw.get("k"), alpha=kw.get("alpha"), r_max=kw.get("r_max"), seed=seed, params=sampling,
        )
    except AlignError as exc:  # one prompt per request: surface its own error for the status mapping
        raise exc.failures[0][1] from None
    chosen = meter.completions[result.chosen_index]
    if chosen.text != result.response:  # the pipeline's index must point at what it returned
        raise RuntimeError(
            f"internal error: candidate {result.chosen_index} is not the selected response; "
            "the pipeline and the server disagree on candidate order"
        )
    return Aligned(
        chosen=chosen,
        raw_choice=meter.raw_choices.get(id(chosen)),
        chosen_index=result.chosen_index,
        scores=tuple(recorder.scores[c.text] for c in meter.completions),
        probability=result.probability,
        lam_hat=result.lam_hat,
        candidates=result.candidates,
        completion_tokens=result.tokens,
        prompt_tokens=meter.prompt_tokens,
        upstream_requests=meter.upstream_requests if count_prompt_tokens is None else meter.generation_calls,
        reward_calls=result.reward_calls,
        extra=dict(result.extra),
    )
