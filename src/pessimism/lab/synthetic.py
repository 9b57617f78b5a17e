"""A seeded synthetic pool whose reward model is overrated on a rare bad response, so BoN reward-hacks.

Per prompt p: a correct fraction ``c_p ~ Beta(0.7, 0.9)`` (some prompts are nearly impossible, some
easy) and a reward-model offset ``o_p ~ N(0, 0.5)``. Each response is

* correct with probability ``c_p`` (true reward 1; graded: ``Beta(5, 2)``), else incorrect (0;
  graded: ``Beta(2, 5)``);
* with probability ``hack_rate``, a *hack*: an incorrect response (true reward 0) the reward model
  loves: proxy ``o_p + 4 + N(0, 0.3)``, far above honest responses, whose proxy is
  ``o_p + true + N(0, 0.7)``. Hacks are also long (a length-hacking flavour) and share one answer.

Small N rarely meets a hack, so BoN first improves; at large N nearly every sample of N contains
one and BoN returns it: the true reward falls. Answers: the correct answer, one of four wrong ones,
``"hack"`` for hacks, or ``None`` (no answer extracted, 5%).
"""

from __future__ import annotations

import numpy as np

from .pool import Pool


def make_pool(
    n_prompts: int = 200,
    pool_size: int = 256,
    *,
    seed: int = 0,
    hack_rate: float = 0.01,
    graded: bool = False,
    ragged: bool = False,
    text: bool = True,
) -> Pool:
    """Build the synthetic pool (see module doc).

    Args:
        n_prompts, pool_size: P prompts with M responses each (``ragged``: M_p uniform in [M/2, M]).
        seed: everything is a function of the seed.
        hack_rate: share of responses that are reward hacks.
        graded: a graded true reward in [0, 1] instead of 0/1.
        text: add ``prompt``/``response`` text columns (skip them for very large pools).
    """
    if n_prompts < 1 or pool_size < 1:
        raise ValueError(f"n_prompts and pool_size must be >= 1; got {n_prompts}, {pool_size}")
    if not 0 <= hack_rate < 1:
        raise ValueError(f"hack_rate must be in [0, 1); got {hack_rate}")
    rng = np.random.default_rng(seed)
    shape = (n_prompts, pool_size)
    if ragged:
        sizes = rng.integers(max(1, pool_size // 2), pool_size + 1, size=n_prompts)
    else:
        sizes = np.full(n_prompts, pool_size)
    mask = np.arange(pool_size)[None, :] < sizes[:, None]
    c = rng.beta(0.7, 0.9, size=(n_prompts, 1))
    offset = rng.normal(0.0, 0.5, size=(n_prompts, 1))
    correct = rng.random(shape) < c
    hack = rng.random(shape) < hack_rate
    correct &= ~hack
    if graded:
        truth = np.where(correct, rng.beta(5, 2, shape), rng.beta(2, 5, shape))
        truth = np.where(hack, 0.0, truth)
    else:
        truth = correct.astype(np.float64)
    proxy = np.where(
        hack,
        offset + 4.0 + rng.normal(0.0, 0.3, shape),
        offset + truth + rng.normal(0.0, 0.7, shape),
    )
    wrong = rng.integers(1, 5, size=shape)
    missing = rng.random(shape) < 0.05
    num_tokens = np.where(hack, 400 + rng.poisson(40, shape), 20 + rng.poisson(120, shape))
    logprob = -num_tokens * rng.uniform(0.3, 1.0, shape)
    answers = np.empty(shape, dtype=object)
    for p in range(n_prompts):
        right = str((7 * p + 3) % 97)
        row = np.where(correct[p], right, np.char.add("w", wrong[p].astype(str))).astype(object)
        row[hack[p]] = "hack"
        row[missing[p] & ~hack[p]] = None
        answers[p] = row
    columns: dict[str, np.ndarray] = {
        "num_tokens": num_tokens.astype(object),
        "logprob": logprob.astype(object),
    }
    if text:
        columns["prompt"] = np.repeat(np.array([f"synthetic question {p}" for p in range(n_prompts)], dtype=object)[:, None], pool_size, axis=1)
        kinds = np.where(hack, "hack", np.where(correct, "correct", "wrong"))
        columns["response"] = np.array(
            [[f"answer {a} ({k}) #{j}" for j, (a, k) in enumerate(zip(answers[p], kinds[p]))] for p in range(n_prompts)],
            dtype=object,
        )
    for name in columns:
        columns[name] = np.where(mask, columns[name], None)
    return Pool(
        prompt_ids=tuple(f"q{p}" for p in range(n_prompts)),
        proxy=proxy,
        truth=truth,
        mask=mask,
        answers=np.where(mask, answers, None),
        columns=columns,
        source=f"synthetic(seed={seed})",
    )
