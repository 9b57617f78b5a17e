"""Bundled instances, by name (``pessimism theory --list`` prints this catalogue).

* ``hacking`` - five responses; the rarest (mass 0.002) is a reward hack: the reward model rates it
  highest (1.0) but its true reward is 0. Best-of-N's true reward rises while N finds the excellent
  response (mass 0.028, true 1.0, rated 0.85), peaks near N = 64, then falls to 0 as N finds the hack.
* ``well_covered`` - six responses, masses from 0.30 down to 0.05, and a reward model off by at most
  0.03 that never changes the order: Best-of-N is monotone and reaches the best response; ITP matches it.
* ``random:SEED`` (or ``random:SEED:K``) - a seeded random instance with K responses (default 8):
  ``pi_ref`` ~ Dirichlet(0.7), true rewards ~ U(0, 1), ``r_hat = r_star + N(0, s^2)`` with s ~ U(0.02, 0.3),
  and with probability 1/2 the rarest non-best response made a hack (rated above everything,
  true reward ~ U(0, 0.3)).
* ``gem:DELTA`` - the rate study's first hard instance: a gem (true = rated = 1) of mass DELTA^2 among
  filler (true = rated = 0). Exact reward model; a comparator with bounded chi-squared coverage puts
  mass ~DELTA on the gem, so a rule must see ~1/DELTA samples to match it.
* ``hacker:EPS:Q`` - the rate study's second hard instance: a hack of mass Q rated ``1/2 + D`` with true
  reward ``1/2 - D`` among filler (true = rated = 1/2), ``D = EPS / (2 sqrt(Q))`` so that ``eps2 = EPS^2``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .instance import FiniteInstance


def hacking() -> FiniteInstance:
    return FiniteInstance(
        "hacking",
        pi_ref=np.array([0.5, 0.35, 0.12, 0.028, 0.002]),
        r_hat=np.array([0.1, 0.4, 0.7, 0.85, 1.0]),
        r_star=np.array([0.1, 0.4, 0.7, 1.0, 0.0]),
        labels=("off-topic", "okay", "good", "excellent", "hack"),
        description="a rare response the reward model overrates: BoN rises, then falls to the hack's true reward 0",
    )


def well_covered() -> FiniteInstance:
    return FiniteInstance(
        "well_covered",
        pi_ref=np.array([0.30, 0.25, 0.20, 0.12, 0.08, 0.05]),
        r_hat=np.array([0.12, 0.29, 0.48, 0.58, 0.76, 0.92]),
        r_star=np.array([0.10, 0.30, 0.45, 0.60, 0.75, 0.90]),
        labels=("poor", "weak", "fair", "good", "very good", "best"),
        description="small order-preserving reward-model errors: BoN is monotone and reaches the best response",
    )


def random_instance(seed: int, k: int = 8) -> FiniteInstance:
    """The seeded random family (see the module docstring)."""
    if k < 2:
        raise ValueError(f"random instances need K >= 2 responses; got K = {k}")
    rng = np.random.default_rng(seed)
    pi = rng.dirichlet(np.full(k, 0.7))
    pi = np.maximum(pi, 1e-9)
    pi = pi / pi.sum()
    r_star = rng.uniform(0.0, 1.0, k)
    noise = rng.uniform(0.02, 0.3)
    r_hat = r_star + noise * rng.standard_normal(k)
    if rng.random() < 0.5:
        best = int(np.argmax(r_star))
        order = [int(i) for i in np.argsort(pi) if i != best]
        hack = order[0]
        r_hat[hack] = float(np.max(r_hat)) + rng.uniform(0.0, 0.3)
        r_star[hack] = rng.uniform(0.0, 0.3)
    return FiniteInstance(
        f"random:{seed}" if k == 8 else f"random:{seed}:{k}", pi, r_hat, r_star,
        description=f"seeded random instance (seed {seed}, K = {k})",
    )


def gem(delta: float) -> FiniteInstance:
    """Filler (true = rated = 0) and a gem of mass ``delta^2`` (true = rated = 1)."""
    if not (0 < delta < 1):
        raise ValueError(f"gem: DELTA must lie in (0, 1); got {delta!r}")
    s = delta * delta
    return FiniteInstance(
        f"gem:{delta:g}", np.array([1.0 - s, s]), np.array([0.0, 1.0]), np.array([0.0, 1.0]),
        labels=("filler", "gem"),
        description=f"a gem of mass {s:.3g} (= DELTA^2); exact reward model",
    )


def hacker(eps: float, q: float) -> FiniteInstance:
    """Filler (true = rated = 1/2) and a hack of mass ``q`` rated ``1/2 + D``, true ``1/2 - D``,
    ``D = eps / (2 sqrt(q))`` (so ``eps2 = eps^2``)."""
    if not (0 < q <= 0.5):
        raise ValueError(f"hacker: Q must lie in (0, 0.5]; got {q!r}")
    if not eps > 0:
        raise ValueError(f"hacker: EPS must be > 0; got {eps!r}")
    d = eps / (2.0 * math.sqrt(q))
    if d > 0.5:
        raise ValueError(
            f"hacker: EPS={eps:g}, Q={q:g} gives D = {d:g} > 1/2 (rewards would leave [0, 1]); need Q >= EPS^2"
        )
    return FiniteInstance(
        f"hacker:{eps:g}:{q:g}", np.array([1.0 - q, q]), np.array([0.5, 0.5 + d]), np.array([0.5, 0.5 - d]),
        labels=("filler", "hack"),
        description=f"a hack of mass {q:g} overrated by {2 * d:.3g}; eps2 = {eps:g}^2",
    )


def _parse(name: str, parts: list[str], count: tuple[int, int]) -> list[float]:
    lo, hi = count
    if not (lo <= len(parts) <= hi):
        raise ValueError(f"instance {name!r}: expected {lo}..{hi} ':'-separated parameters, got {len(parts)}")
    try:
        return [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"instance {name!r}: parameters must be numbers") from None


def _random_from(name: str, parts: list[str]) -> FiniteInstance:
    values = _parse(name, parts, (1, 2))
    if not all(v.is_integer() and v >= 0 for v in values):
        raise ValueError(f"instance {name!r}: random:SEED[:K] needs a non-negative integer seed and K")
    return random_instance(int(values[0]), int(values[1]) if len(values) > 1 else 8)


#: name (or family prefix) -> (constructor from the ':'-separated parameters, one-line description)
CATALOGUE: dict[str, tuple[Callable[[str, list[str]], FiniteInstance], str]] = {
    "hacking": (lambda name, parts: hacking(), "a rare overrated response: BoN rises then falls (K=5)"),
    "well_covered": (lambda name, parts: well_covered(), "order-preserving RM errors: BoN is fine (K=6)"),
    "random:SEED[:K]": (_random_from, "seeded random family, half of them with a rare hack (K=8)"),
    "gem:DELTA": (lambda name, parts: gem(*_parse(name, parts, (1, 1))),
                  "rate study: a gem of mass DELTA^2, exact rewards (K=2)"),
    "hacker:EPS:Q": (lambda name, parts: hacker(*_parse(name, parts, (2, 2))),
                     "rate study: a hack of mass Q with eps2 = EPS^2 (K=2)"),
}


def get_instance(name: str) -> FiniteInstance:
    """A bundled instance by name: ``hacking``, ``well_covered``, ``random:SEED[:K]``, ``gem:DELTA``,
    ``hacker:EPS:Q``."""
    head, *parts = str(name).split(":")
    for key, (make, _) in CATALOGUE.items():
        if key.split(":")[0] == head:
            if ":" not in key and parts:
                raise ValueError(f"instance {head!r} takes no parameters; got {name!r}")
            if ":" in key and not parts:
                raise ValueError(f"instance {head!r} needs parameters: {key}")
            return make(name, parts)
    raise ValueError(f"unknown instance {name!r}; choose one of: {', '.join(CATALOGUE)}")
