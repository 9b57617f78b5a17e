"""ITP Algorithm 1 (the paper's form) as a driver over a live stream of scored candidates.

1. Phase 1: draw N candidates with rewards, compute ``lam_hat`` on them (:func:`chi2_lambda`).
2. Phase 2: draw fresh candidates one at a time, up to N; accept candidate y with probability
   ``min(1, w(y)/M)``, ``w(y) = relu((r(y) - lam_hat)/beta)``, ``M = (R_max - lam_hat)/beta``; stop at the
   first acceptance. The expected number of phase-2 draws is about M when M < N: generation that a
   pool method would spend and this one does not.
3. If nothing is accepted, draw one more candidate and return it (a fresh sample from ``pi_ref``).

The source of candidates is anything that produces ``(candidate, reward)`` pairs: a callable
``draw(k) -> sequence of k pairs`` (phase 1 asks for N at once, so a model can batch them; phase 2
asks for 1 at a time) or an iterator of pairs. :meth:`ITPAlgorithm1.arun` is the same loop for an
async callable or async iterator.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import numpy as np

from .normalizer import chi2_lambda

T = TypeVar("T")
Pair = tuple[T, float]


@dataclass(frozen=True)
class Algorithm1Result(Generic[T]):
    """What Algorithm 1 returned and what it consumed.

    ``source`` is ``"phase2"`` when a phase-2 candidate was accepted (``accepted_at`` is its 1-based
    position) and ``"fallback"`` otherwise. ``drawn`` keeps every candidate in order of drawing, so
    no generated or scored work is lost to the caller.
    """

    candidate: T
    reward: float
    source: Literal["phase2", "fallback"]
    accepted_at: int | None
    lam_hat: float
    envelope: float
    phase1_draws: int
    phase2_draws: int
    fallback_draws: int
    drawn: list[Pair[T]] = field(repr=False, default_factory=list)

    @property
    def total_draws(self) -> int:
        """Candidates generated and scored in all: ``N + phase-2 draws + fallback``."""
        return self.phase1_draws + self.phase2_draws + self.fallback_draws


class ITPAlgorithm1:
    """ITP Algorithm 1 with fixed ``beta``, ``n`` and reward bound ``r_max``.

    Args:
        beta: regularization strength, > 0.
        n: phase-1 sample size N (also the cap on phase-2 draws), >= 1.
        r_max: an upper bound on the proxy reward; a reward above it raises ``ValueError`` because
            the acceptance test would no longer be a valid rejection sampler.
    """

    def __init__(self, beta: float, n: int, r_max: float) -> None:
        if not (isinstance(beta, (int, float)) and math.isfinite(beta) and beta > 0):
            raise ValueError(f"beta must be a finite number > 0; got {beta!r}")
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be an integer >= 1 (the phase-1 sample size); got {n!r}")
        if not (isinstance(r_max, (int, float)) and math.isfinite(r_max)):
            raise ValueError(f"r_max must be a finite upper bound on the reward; got {r_max!r}")
        self.beta = float(beta)
        self.n = int(n)
        self.r_max = float(r_max)

    # -- the two pieces of mathematics -------------------------------------------------------------
    def calibrate(self, rewards: Sequence[float]) -> tuple[float, float]:
        """Phase 1: ``lam_hat`` on the N rewards and the envelope ``M = (r_max - lam_hat)/beta``."""
        lam = float(chi2_lambda(np.asarray(rewards, dtype=np.float64), self.beta))
        return lam, (self.r_max - lam) / self.beta

    def acceptance(self, reward: float, lam: float, envelope: float) -> float:
        """Phase 2 acceptance probability ``min(1, relu((r - lam)/beta) / M)``."""
        return min(1.0, max((reward - lam) / self.beta, 0.0) / envelope)

    # -- drivers -------------------------------------------------------------------------------------
    def _check(self, pair: Any, phase: str, index: int) -> Pair[Any]:
        try:
            candidate, reward = pair
            reward = float(reward)
        except (TypeError, ValueError):
            raise ValueError(
                f"{phase} draw {index} is not a (candidate, reward) pair with a numeric reward: {pair!r}"
            ) from None
        if not math.isfinite(reward):
            raise ValueError(f"{phase} draw {index} has a non-finite reward {reward}; score it again")
        if reward > self.r_max:
            raise ValueError(
                f"{phase} draw {index} has reward {reward} above r_max={self.r_max}; "
                "r_max must bound the reward model, pass a larger one"
            )
        return candidate, reward

    def _finish(
        self, drawn: list[Pair[Any]], lam: float, envelope: float, phase2: int, accepted: bool
    ) -> Algorithm1Result[Any]:
        candidate, reward = drawn[-1]
        return Algorithm1Result(
            candidate=candidate,
            reward=reward,
            source="phase2" if accepted else "fallback",
            accepted_at=phase2 if accepted else None,
            lam_hat=lam,
            envelope=envelope,
            phase1_draws=self.n,
            phase2_draws=phase2,
            fallback_draws=0 if accepted else 1,
            drawn=drawn,
        )

    def _steps(self, rng: np.random.Generator) -> Generator[tuple[int, str], Sequence[Any], Algorithm1Result[Any]]:
        """The algorithm as a coroutine: it yields ``(how many to draw, phase)`` and receives the pairs,
        so the sync and async drivers share one implementation."""
        drawn = [self._check(p, "phase-1", i) for i, p in enumerate((yield self.n, "phase 1"), 1)]
        lam, envelope = self.calibrate([r for _, r in drawn])
        for step in range(1, self.n + 1):
            (pair,) = yield 1, "phase 2"
            drawn.append(self._check(pair, "phase-2", step))
            if rng.random() < self.acceptance(drawn[-1][1], lam, envelope):
                return self._finish(drawn, lam, envelope, step, accepted=True)
        (pair,) = yield 1, "fallback"
        drawn.append(self._check(pair, "fallback", 1))
        return self._finish(drawn, lam, envelope, self.n, accepted=False)

    def run(
        self, source: Callable[[int], Sequence[Pair[T]]] | Iterator[Pair[T]], rng: np.random.Generator
    ) -> Algorithm1Result[T]:
        """Run Algorithm 1 on a sync source (``draw(k)`` callable or iterator of pairs)."""
        draw = _sync_drawer(source)
        steps = self._steps(rng)
        request = next(steps)
        while True:
            try:
                request = steps.send(_take(draw, *request))
            except StopIteration as done:
                return done.value

    async def arun(
        self,
        source: Callable[[int], Awaitable[Sequence[Pair[T]]]] | AsyncIterator[Pair[T]],
        rng: np.random.Generator,
    ) -> Algorithm1Result[T]:
        """Run Algorithm 1 on an async source (async ``draw(k)`` or async iterator of pairs)."""
        draw = _async_drawer(source)
        steps = self._steps(rng)
        request = next(steps)
        while True:
            try:
                request = steps.send(await _atake(draw, *request))
            except StopIteration as done:
                return done.value


def _sync_drawer(source: Any) -> Callable[[int], Sequence[Any]]:
    if callable(source):
        return source
    iterator = iter(source)
    return lambda k: [next(iterator) for _ in range(k)]


def _async_drawer(source: Any) -> Callable[[int], Awaitable[Sequence[Any]]]:
    if callable(source):
        return source
    iterator = source.__aiter__()

    async def draw(k: int) -> list[Any]:
        return [await iterator.__anext__() for _ in range(k)]

    return draw


def _take(draw: Callable[[int], Sequence[Any]], k: int, phase: str) -> Sequence[Any]:
    try:
        got = list(draw(k))
    except StopIteration:
        raise ValueError(f"the candidate source ran out during {phase}; it must supply up to 2N + 1 candidates") from None
    if len(got) != k:
        raise ValueError(f"the candidate source returned {len(got)} candidates in {phase}, expected {k}")
    return got


async def _atake(draw: Callable[[int], Awaitable[Sequence[Any]]], k: int, phase: str) -> Sequence[Any]:
    try:
        got = list(await draw(k))
    except StopAsyncIteration:
        raise ValueError(f"the candidate source ran out during {phase}; it must supply up to 2N + 1 candidates") from None
    if len(got) != k:
        raise ValueError(f"the candidate source returned {len(got)} candidates in {phase}, expected {k}")
    return got


def itp_algorithm1(
    source: Callable[[int], Sequence[Pair[T]]] | Iterator[Pair[T]],
    *,
    beta: float,
    n: int,
    r_max: float,
    rng: np.random.Generator,
) -> Algorithm1Result[T]:
    """Functional form of :meth:`ITPAlgorithm1.run`."""
    return ITPAlgorithm1(beta, n, r_max).run(source, rng)
