"""Answer-extraction helpers shared by the math and multiple-choice tasks."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"[-\u2212]?\$?\s?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?")


def last_boxed(text: str) -> str | None:
    r"""Content of the last ``\boxed{...}`` (or ``\fbox{...}``) in ``text``, braces balanced; ``None`` if absent."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    i = text.find("{", start)
    if i < 0:
        # "\boxed 5": the argument is the next token
        m = re.match(r"\\(?:boxed|fbox)\s+([^\s$]+)", text[start:])
        return m.group(1) if m else None
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j].strip()
    return None  # unbalanced


def last_number(text: str) -> str | None:
    """The last number written in ``text`` (with its sign, thousands commas and decimals), or ``None``."""
    found = _NUMBER.findall(text)
    if not found:
        return None
    return found[-1].replace("$", "").replace(" ", "").rstrip(",").rstrip(".")
