"""Ground truth: answer checkers returning 1.0 (correct) or 0.0, and a verifier reward model.

Three matchers, each a pure function ``(prediction, reference) -> bool``:

- :func:`exact_match` on :func:`normalize_text`: Unicode-compatibility decomposition, accents
  dropped, case folded, apostrophes deleted ("N'Djamena" -> "ndjamena"), every other punctuation
  character turned into a space, the English articles *a/an/the* dropped, whitespace collapsed
  (the SQuAD convention, extended to accents).
- :func:`numeric_match` on :func:`parse_number`: ``$1,234.50``, ``-3``, ``50%`` (the percent sign
  is dropped: ``50%`` equals ``50``, not ``0.5``, as in GSM8K), ``3/4``, ``1 1/2``, ``2.5e3`` and a
  trailing unit word (``12 km``) are numbers; equal when ``math.isclose(a, b, rel_tol, abs_tol)``,
  which is symmetric (defaults ``1e-12``: tight enough that 999999999 != 1000000000, loose enough for
  float round-off; pass ``rel_tol`` for approximate answers).
- :func:`math_match` via Hugging Face's ``math-verify`` (extra ``[math]``): LaTeX answers compared
  symbolically (``\\frac{1}{2}`` = ``0.5`` = ``\\dfrac12``; intervals, sets, matrices).

:class:`Verifier` turns a table ``prompt -> accepted answers`` into a
:class:`~pessimism.rewards.base.RewardModel` (the *true* reward ``r_star`` of the lab).
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence

from .._extras import require
from ..models.base import Prompt, prompt_key
from ._common import SyncScoreMixin, check_scores
from .base import check_pairs

ARTICLES = frozenset({"a", "an", "the"})
_APOSTROPHES = "'\u2019\u2018\u02bc`\u00b4"


def _fold(text: str) -> str:
    # casefold can emit combining marks (U+01F0 -> j + caron) and NFKD can emit capitals
    # (U+210C -> H), so fold until nothing changes (two rounds suffice in practice). Upper-casing
    # first unifies letters whose lower and upper forms casefold apart (dotless i: "ı" vs "I").
    for _ in range(4):
        folded = unicodedata.normalize("NFKD", text.upper().casefold())
        folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
        if folded == text:
            break
        text = folded
    return text


def normalize_text(text: str) -> str:
    """Canonical form for exact matching (see the module docstring); idempotent."""
    if not isinstance(text, str):
        raise ValueError(f"normalize_text takes a string; got {type(text).__name__}")
    text = _fold(text)
    text = "".join("" if ch in _APOSTROPHES else (ch if ch.isalnum() or ch.isspace() else " ") for ch in text)
    return " ".join(tok for tok in text.split() if tok not in ARTICLES)


def exact_match(prediction: str, reference: str) -> bool:
    """Normalized exact match (case, accents, punctuation, articles and whitespace ignored)."""
    return normalize_text(prediction) == normalize_text(reference)


_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_NUMBER_RE = re.compile(
    rf"""^\s*(?P<sign>[-+\u2212])?\s*(?P<cur>[$\u20ac\u00a3\u00a5])?\s*(?P<sign2>[-+\u2212])?\s*
    (?:(?P<whole>\d+)\s+(?=\d+\s*/))?          # the 1 of a mixed number 1 1/2
    (?P<num>{_NUM})(?:\s*/\s*(?P<den>{_NUM}))?
    \s*(?P<pct>%)?\s*(?P<unit>[^\W\d_][^\d]{{0,30}})?\s*[.]?\s*$""",
    re.VERBOSE,
)
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def parse_number(text: str | float | int) -> float | None:
    """Parse a numeric answer, or return None if ``text`` is not a single number (see module doc)."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        return float(text) if math.isfinite(text) else None
    if not isinstance(text, str):
        return None
    m = _NUMBER_RE.match(_THOUSANDS_RE.sub("", text))
    if m is None or (m.group("sign") and m.group("sign2")):
        return None
    value = float(m.group("num"))
    if m.group("den") is not None:
        den = float(m.group("den"))
        if den == 0:
            return None
        value /= den
    if m.group("whole") is not None:
        value += float(m.group("whole"))
    if (m.group("sign") or m.group("sign2") or "+") in "-\u2212":
        value = -value
    return value if math.isfinite(value) else None


def numeric_match(
    prediction: str | float, reference: str | float, rel_tol: float = 1e-12, abs_tol: float = 1e-12
) -> bool:
    """True when both parse as numbers and ``math.isclose`` (symmetric in its arguments)."""
    a, b = parse_number(prediction), parse_number(reference)
    return a is not None and b is not None and math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


def _as_latex(text: str) -> str:
    return text if ("$" in text or "\\boxed" in text or "\\(" in text or "\\[" in text) else f"${text}$"


def math_match(prediction: str, reference: str) -> bool:
    """Symbolic equivalence of two math answers with ``math-verify`` (``verify(gold, target)``).

    Bare answers are wrapped in ``$...$`` so LaTeX extraction applies. math-verify's timeouts use
    ``SIGALRM``, which only works in the main thread: elsewhere they are disabled.
    """
    if prediction.strip() == reference.strip():
        return True
    mv = require("math_verify", "math", "math answer checking")
    in_main = threading.current_thread() is threading.main_thread()
    timeout = 5 if in_main else None
    try:
        gold = mv.parse(_as_latex(reference), parsing_timeout=timeout)
        target = mv.parse(_as_latex(prediction), parsing_timeout=timeout)
        if not gold or not target:
            return False
        return bool(mv.verify(gold, target, timeout_seconds=timeout))
    except Exception:  # math-verify raises on pathological input (timeouts, sympy errors): not a match
        return False


MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "exact": exact_match,
    "numeric": numeric_match,
    "math": math_match,
}


def get_matcher(match: str | Callable[[str, str], bool]) -> Callable[[str, str], bool]:
    if callable(match):
        return match
    if match not in MATCHERS:
        raise ValueError(f"match must be one of {sorted(MATCHERS)} or a callable; got {match!r}")
    return MATCHERS[match]


def is_correct(
    prediction: str | None, references: Sequence[str], match: str | Callable[[str, str], bool] = "exact"
) -> float:
    """1.0 if ``prediction`` matches any reference, else 0.0 (``None`` — nothing extracted — is 0.0)."""
    if prediction is None:
        return 0.0
    matcher = get_matcher(match)
    return 1.0 if any(matcher(prediction, ref) for ref in references) else 0.0


class Verifier(SyncScoreMixin):
    """Ground-truth reward model: 1.0 if the (extracted) response matches an accepted answer.

    Args:
        references: ``prompt -> accepted answers``; keys are prompt strings (or
            :func:`~pessimism.models.base.prompt_key` of chat prompts).
        match: ``"exact"``, ``"numeric"``, ``"math"`` or a callable ``(prediction, reference) -> bool``.
        extract: optional ``response -> answer | None`` applied before matching (``None`` scores 0).
        name: cache identity (default ``verifier:<match>``).
    """

    def __init__(
        self,
        references: Mapping[str, Sequence[str]],
        *,
        match: str | Callable[[str, str], bool] = "exact",
        extract: Callable[[str], str | None] | None = None,
        name: str | None = None,
    ) -> None:
        self.matcher = get_matcher(match)
        self.references: dict[str, tuple[str, ...]] = {}
        for key, refs in references.items():
            refs = (refs,) if isinstance(refs, str) else tuple(refs)
            if not refs or not all(isinstance(r, str) for r in refs):
                raise ValueError(f"references[{key!r:.80}] must be a non-empty list of answer strings; got {refs!r:.80}")
            self.references[key] = refs
        self.extract = extract
        self._name = name or f"verifier:{match if isinstance(match, str) else getattr(match, '__name__', 'custom')}"

    @property
    def name(self) -> str:
        return self._name

    async def ascore(self, prompts: Sequence[Prompt], responses: Sequence[str]) -> list[float]:
        check_pairs(prompts, responses)
        scores = []
        for i, (prompt, response) in enumerate(zip(prompts, responses)):
            refs = self.references.get(prompt_key(prompt))
            if refs is None:
                raise ValueError(
                    f"verifier has no reference answers for prompt {i} ({prompt_key(prompt)!r:.100}); "
                    "add it to `references`"
                )
            answer = self.extract(response) if self.extract is not None else response
            scores.append(is_correct(answer, refs, self.matcher))
        return check_scores(scores, prompts, responses, self.name)
