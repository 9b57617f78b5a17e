"""KV-cache reuse of the embedded policy: n samples of one prompt with the prompt evaluated once,
against re-evaluating the prompt for every sample.

Run:  python bench/kv_cache.py [--n 16] [--max-tokens 8] [--prompt-words 300] [--threads 2]

Both arms draw the same samples (sample ``j`` is seeded ``seed + j``; the check below asserts the texts
agree), so the difference is only the prompt work: ``reuse`` evaluates the prompt once and rewinds the
KV cache to its end before each sample; ``re-evaluate`` clears the cache before each sample. The
expected ratio is about ``(n * (P + G)) / (P + n * G)`` in token-evaluation time, with ``P`` the prompt
cost and ``G`` one sample's decoding cost. Prints the times, the token counts and the ratio.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict

from pessimism.models import SamplingParams
from pessimism.models.llama_cpp import LlamaCppPolicy

TEXT = (
    "The river rises in the high valleys, where snow lies late into spring, and runs west through "
    "forests, farmland and three old market towns before it reaches the sea. "
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--max-tokens", type=int, default=8)
    ap.add_argument("--prompt-words", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    words = TEXT.split()
    body = " ".join(words[i % len(words)] for i in range(args.prompt_words))
    prompt = f"Read this passage and summarise it in one sentence.\n\n{body}"
    policy = LlamaCppPolicy(n_ctx=2048, n_threads=args.threads)
    params = SamplingParams(max_tokens=args.max_tokens, seed=0, temperature=1.0)
    n_prompt = len(policy.tokenize_prompt(prompt))
    policy.generate(["warm-up"], 1, SamplingParams(max_tokens=2))

    policy.reset_cache()
    s0 = asdict(policy.stats)
    t0 = time.perf_counter()
    reuse = policy.generate([prompt], args.n, params)[0]
    t_reuse = time.perf_counter() - t0
    s1 = asdict(policy.stats)

    t0 = time.perf_counter()
    fresh = []
    for j in range(args.n):
        policy.reset_cache()
        one = SamplingParams(max_tokens=args.max_tokens, seed=j, temperature=1.0)
        fresh.append(policy.generate([prompt], 1, one)[0][0])
    t_fresh = time.perf_counter() - t0
    s2 = asdict(policy.stats)

    same = sum(a.text == b.text for a, b in zip(reuse, fresh))
    print(f"prompt: {n_prompt} tokens; n = {args.n} samples of up to {args.max_tokens} tokens; "
          f"{args.threads} threads")
    print(f"reuse        {t_reuse:8.2f} s   prompt tokens evaluated: "
          f"{s1['prompt_tokens_evaluated'] - s0['prompt_tokens_evaluated']}")
    print(f"re-evaluate  {t_fresh:8.2f} s   prompt tokens evaluated: "
          f"{s2['prompt_tokens_evaluated'] - s1['prompt_tokens_evaluated']}")
    print(f"identical samples in both arms: {same}/{args.n}")
    print(f"ratio re-evaluate / reuse: {t_fresh / t_reuse:.1f}x")


if __name__ == "__main__":
    main()
