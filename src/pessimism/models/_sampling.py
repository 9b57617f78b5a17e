"""Next-token sampling from a logit vector: temperature, nucleus (top-p), seeded, numpy only.

Local backends (llama.cpp, transformers) hand us the raw next-token logits ``z`` and we sample here, so
both backends implement exactly the same distribution and report the same kind of log-probability:

* sampling law: ``q_T(v) ∝ exp(z_v / T)`` restricted to the nucleus — the smallest set of most
  probable tokens (under ``q_T``) whose total mass is ``>= top_p`` — and renormalized;
  ``T = 0`` is greedy (argmax, lowest id on ties);
* reported log-probability: ``log softmax(z)_v`` — the *model's own* probability of the token
  (temperature 1, no truncation), i.e. ``log pi_ref(v | prefix)``, whatever ``T`` and ``top_p`` were
  used to draw it. This is what ITP's coverage arguments are about and it matches vLLM's default
  ("raw") logprobs.
"""

from __future__ import annotations

import numpy as np


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """``z - logsumexp(z)`` in float64 (stable: the max is subtracted first)."""
    z = np.asarray(logits, dtype=np.float64)
    m = np.max(z)
    return z - (m + np.log(np.sum(np.exp(z - m))))


def _nucleus(p: np.ndarray, top_p: float) -> np.ndarray:
    """Indices of the smallest set of largest entries of ``p`` (summing to 1) with mass ``>= top_p``.

    Uses ``argpartition`` on a growing candidate set so the full vocabulary (262k for Gemma 3) is
    sorted only when the nucleus is huge.
    """
    v = p.shape[0]
    k = min(v, 64)
    while True:
        cand = np.argpartition(-p, k - 1)[:k] if k < v else np.arange(v)
        cand = cand[np.argsort(-p[cand], kind="stable")]
        csum = np.cumsum(p[cand])
        # A tiny tolerance so that top_p = 1 keeps every token despite float rounding of the sum.
        hit = np.nonzero(csum >= top_p - 1e-12)[0]
        if hit.size or k == v:
            stop = int(hit[0]) + 1 if hit.size else k
            return cand[:stop]
        k = min(v, k * 8)


def sample_next(
    logits: np.ndarray, temperature: float, top_p: float, rng: np.random.Generator
) -> tuple[int, float]:
    """Draw one token id from ``logits`` and return ``(token, log pi_ref(token))``.

    See the module docstring for the exact law; ``rng`` is the only source of randomness, so a
    seeded generator makes the draw reproducible.
    """
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"logits must be a non-empty 1-D array; got shape {z.shape}")
    if not (temperature >= 0):
        raise ValueError(f"temperature must be >= 0; got {temperature}")
    if not (0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1]; got {top_p}")
    m = np.max(z)
    if not np.isfinite(m):
        raise ValueError("logits contain no finite maximum (all -inf or NaN); the backend returned garbage")
    raw_logz = m + np.log(np.sum(np.exp(z - m)))
    if temperature == 0:
        token = int(np.argmax(z))
        return token, float(z[token] - raw_logz)
    with np.errstate(over="ignore", under="ignore"):  # tiny T: (z - m) / T -> -inf, weight 0
        w = np.exp((z - m) / temperature)
    if top_p < 1:
        keep = _nucleus(w / w.sum(), top_p)
        cw = np.cumsum(w[keep])
        token = int(keep[min(int(np.searchsorted(cw, rng.random() * cw[-1], side="right")), keep.size - 1)])
    else:
        cw = np.cumsum(w)
        token = min(int(np.searchsorted(cw, rng.random() * cw[-1], side="right")), z.size - 1)
    return token, float(z[token] - raw_logz)
