"""A finite inference-time alignment instance: ``pi_ref``, ``r_hat`` and ``r_star`` over K responses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from ._checks import FloatArray, check_pi_ref, check_rewards
from .coverage import best_response, coverage_chi2, coverage_linf, eps2


@dataclass(frozen=True)
class FiniteInstance:
    """One prompt with K possible responses.

    Attributes:
        name: how :func:`pessimism.theory.get_instance` finds it.
        pi_ref: reference probabilities (non-negative, summing to 1).
        r_hat: proxy reward of each response (what the selection rules see).
        r_star: true reward of each response (what is scored).
        labels: a short name per response.
        description: what the instance is for.

    The derived quantities use the default comparator, the best response (:func:`best_response`).
    """

    name: str
    pi_ref: FloatArray
    r_hat: FloatArray
    r_star: FloatArray
    labels: tuple[str, ...] = field(default=())
    description: str = ""

    def __post_init__(self) -> None:
        p = check_pi_ref(self.pi_ref)
        k = p.shape[0]
        arrays = {
            "pi_ref": p,
            "r_hat": check_rewards(self.r_hat, "r_hat", k),
            "r_star": check_rewards(self.r_star, "r_star", k),
        }
        for key, value in arrays.items():
            value = value.copy()
            value.setflags(write=False)
            object.__setattr__(self, key, value)
        labels = tuple(self.labels) or tuple(f"y{i}" for i in range(k))
        if len(labels) != k:
            raise ValueError(f"labels has {len(labels)} entries but there are {k} responses; give one per response")
        object.__setattr__(self, "labels", labels)

    @classmethod
    def from_arrays(
        cls, name: str, pi_ref: ArrayLike, r_hat: ArrayLike, r_star: ArrayLike, description: str = ""
    ) -> FiniteInstance:
        return cls(name, np.asarray(pi_ref, float), np.asarray(r_hat, float), np.asarray(r_star, float),
                   description=description)

    @property
    def k(self) -> int:
        return int(self.pi_ref.shape[0])

    @cached_property
    def eps2(self) -> float:
        """``E_ref[(r_hat - r_star)^2]``."""
        return eps2(self.pi_ref, self.r_hat, self.r_star)

    @cached_property
    def comparator(self) -> FloatArray:
        """The best response (``pi_ref`` restricted to ``argmax r_star``)."""
        return best_response(self.pi_ref, self.r_star)

    @cached_property
    def coverage(self) -> float:
        """Chi-squared coverage ``C`` of the best response."""
        return coverage_chi2(self.pi_ref, self.comparator)

    @cached_property
    def coverage_linf(self) -> float:
        return coverage_linf(self.pi_ref, self.comparator)

    @property
    def beta_star(self) -> float:
        """ITP's theory choice ``beta = sqrt(eps2 / C)`` (needs ``eps2 > 0``)."""
        if self.eps2 <= 0:
            raise ValueError(
                f"instance {self.name!r} has an exact reward model (eps2 = 0), so beta = sqrt(eps2/C) = 0; "
                "pass an explicit beta"
            )
        return math.sqrt(self.eps2 / self.coverage)

    @property
    def best_value(self) -> float:
        """True reward of the comparator: ``max r_star`` over the support."""
        return float(self.comparator @ self.r_star)

    @property
    def ref_value(self) -> float:
        """True reward of ``pi_ref`` itself (N = 1)."""
        return float(self.pi_ref @ self.r_star)

    @property
    def r_max(self) -> float:
        """The largest proxy reward in the support (Algorithm 1's default bound)."""
        return float(np.max(self.r_hat[self.pi_ref > 0]))
