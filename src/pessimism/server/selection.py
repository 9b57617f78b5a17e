"""Which selection rule a request runs: the server's defaults merged with the request's overrides.

A request may carry ``"pessimism": {"method": ..., "n": ..., "beta": ..., "k": ..., "alpha": ...,
"r_max": ...}``. Each rule parameter comes from the override if given, else from the server's default;
only the parameters the chosen method takes are kept (a server default ``beta`` does not make ``bon``
fail). A parameter the request gives *explicitly* that the method does not take is an error, never
dropped silently. Values are checked by the selection core itself (``selection_probs`` on a dummy
pool of ``n`` rewards, or ``ITPAlgorithm1``), so the messages are the core's: ``k=9 is outside
[1, 4] ...``, ``beta must be a finite number > 0 ...``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..align import METHODS
from ..select import ITPAlgorithm1, get_rule, selection_probs

#: rule parameters a request may override (``answers`` of the voting rules come from the responses).
RULE_PARAMS = ("beta", "k", "alpha", "r_max")
_ALGORITHM1 = "itp_algorithm1"
_ALGORITHM1_PARAMS = ("beta", "r_max")


class SelectionError(ValueError):
    """A bad method or parameter; ``param`` names the field (``pessimism.beta``, ``--k``...)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Selection:
    """A resolved, validated selection: the method, the candidate count and the rule's parameters."""

    method: str
    n: int
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.params)

    def get(self, name: str) -> Any:
        return self.kwargs.get(name)


def accepted_params(method: str) -> tuple[str, ...]:
    """The overridable parameters ``method`` takes (raises the core's error for an unknown method)."""
    if method == _ALGORITHM1:
        return _ALGORITHM1_PARAMS
    rule = get_rule(method)
    return tuple(p for p in rule.required + rule.optional if p in RULE_PARAMS)


def _named(message: str, names: tuple[str, ...], prefix: str, fallback: str) -> str:
    """The field an error message is about: the first of ``names`` it mentions as a word."""
    hits = [(m.start(), name) for name in names for m in [re.search(rf"\b{re.escape(name)}\b", message)] if m]
    return prefix + min(hits)[1] if hits else fallback


def resolve_selection(
    defaults: Mapping[str, Any], overrides: Mapping[str, Any], *, prefix: str = "pessimism.", max_n: int | None = None
) -> Selection:
    """Merge ``overrides`` (fields the request set) over ``defaults`` (method, n and every rule
    parameter, ``None`` when unset) and validate with the selection core.

    Raises :class:`SelectionError` whose ``param`` is ``prefix + field``.
    """
    method = overrides.get("method", defaults["method"])
    if method not in METHODS:
        try:
            get_rule(method)
        except ValueError as exc:
            raise SelectionError(f"{exc} (this server also runs {_ALGORITHM1!r})", prefix + "method") from None
        raise SelectionError(  # a sequential rule of the core whose fallback is not a candidate
            f"method {method!r} is not served; choose one of {', '.join(METHODS)}", prefix + "method"
        )
    n = overrides.get("n", defaults["n"])
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SelectionError(f"n (candidates per request) must be an integer >= 1; got {n!r}", prefix + "n")
    if max_n is not None and n > max_n:
        raise SelectionError(
            f"n={n} exceeds this server's limit of {max_n} candidates per request (--max-n)", prefix + "n"
        )
    takes = accepted_params(method)
    given = {p: overrides[p] for p in RULE_PARAMS if overrides.get(p) is not None}
    unknown = sorted(set(given) - set(takes))
    params = {p: given.get(p, defaults.get(p)) for p in takes}
    params = {p: v for p, v in params.items() if v is not None}
    names = tuple(sorted({*takes, *given}))
    try:
        if method == _ALGORITHM1:
            if unknown:
                raise ValueError(
                    f"method {method!r} does not take parameter(s) {', '.join(unknown)}; it accepts: "
                    f"{', '.join(takes)}"
                )
            missing = [p for p in takes if p not in params]
            if missing:
                raise ValueError(
                    f"method {method!r} needs {' and '.join(missing)} (r_max: an upper bound on the reward "
                    "model's scores)"
                )
            ITPAlgorithm1(beta=params["beta"], n=n, r_max=params["r_max"])
        else:
            probe: dict[str, Any] = {**params, **{p: given[p] for p in unknown}}
            if get_rule(method).needs_answers:
                probe["answers"] = np.array(["a"] * n, dtype=object)
            selection_probs(method, np.zeros(n), **probe)
    except SelectionError:
        raise
    except ValueError as exc:
        field = _named(str(exc), names, prefix, prefix.rstrip(".") or "pessimism")
        raise SelectionError(str(exc), field) from None
    return Selection(method=method, n=n, params=tuple(sorted(params.items())))
