"""The pipeline on the embedded model: what each rule costs, and what orchestration adds.

Run:  python bench/pipeline.py [--prompts 8] [--n 8] [--beta 0.25]

(a) Candidates generated per returned response on ``capitals_fewshot``: Best-of-N and pool ITP use N;
    streaming ITP Algorithm 1 uses N (phase 1) + phase-2 draws until the first acceptance + a fallback
    when none is accepted. Its efficiency hinges on the reward bound ``r_max`` (envelope
    ``M = (r_max - lam_hat)/beta``), so it is run with a tight bound (the largest judge score among
    the 2N + 1 samples it could draw: an oracle bound) and a loose one (tight + 2 nats).
(b) Orchestration overhead: ``align(...)`` (with its disk cache) against calling the backend directly
    for the same samples and the same distinct judge calls; each run starts with the model's prompt
    cache reset (align with a fresh disk cache), alternated, best of two.

Prints the numbers and the ratios.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pessimism.align import DiskCache, align
from pessimism.align.cache import generation_key, score_key
from pessimism.models import load_policy
from pessimism.models.base import SamplingParams
from pessimism.rewards import load_reward
from pessimism.tasks import load_task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=8)
    parser.add_argument("--n", type=int, default=8)
    parser.add_argument("--beta", type=float, default=0.25)
    args = parser.parse_args()

    task = load_task("capitals_fewshot")
    items = task.items()[: args.prompts]
    policy = load_policy("embedded?chat_template=none")
    judge = load_reward("judge:fewshot", policy)
    params = SamplingParams(temperature=1.0, max_tokens=12, seed=0, stop=("\n",))
    n = args.n

    # (b) direct backend calls vs align on the same work, alternated and repeated (best of 2 each):
    # the model's prompt cache is reset before every run and align gets a fresh disk cache
    def run_direct() -> float:
        policy.reset_cache()
        start = time.perf_counter()
        samples = policy.generate([it.prompt for it in items], n, params)
        for item, own in zip(items, samples):
            texts = sorted({c.text for c in own})
            judge.score([item.meta["question"]] * len(texts), texts)
        return time.perf_counter() - start

    def run_align(folder: str) -> tuple[float, list]:
        policy.reset_cache()
        with DiskCache(Path(folder) / "cache.sqlite") as fresh:
            start = time.perf_counter()
            rows = align(items, policy, judge, method="itp", n=n, beta=args.beta, params=params, task=task,
                         cache=fresh)
            return time.perf_counter() - start, rows

    direct_times, align_times = [], []
    for _ in range(2):
        direct_times.append(run_direct())
        with tempfile.TemporaryDirectory() as folder:
            seconds, pool_itp = run_align(folder)
            align_times.append(seconds)
    direct, through_align = min(direct_times), min(align_times)

    with tempfile.TemporaryDirectory() as tmp:
        with DiskCache(Path(tmp) / "cache.sqlite") as cache:
            pool_itp = align(items, policy, judge, method="itp", n=n, beta=args.beta, params=params, task=task,
                             cache=cache)
            bon = align(items, policy, judge, method="bon", n=n, params=params, task=task, cache=cache)

            # (a) streaming Algorithm 1: bound from the 2N + 1 samples it may draw (all cached after this)
            align(items, policy, judge, method="bon", n=2 * n + 1, params=params, task=task, cache=cache)
            scores = []
            for item in items:
                keys = [generation_key(policy.name, item.prompt, params, j) for j in range(2 * n + 1)]
                texts = [c.text for c in cache.get_generations(keys).values()]
                skeys = [score_key(judge.name, item.meta["question"], t) for t in texts]
                scores += list(cache.get_scores(skeys).values())
            tight = max(scores)
            runs = {}
            for label, bound in (("tight r_max", tight), ("loose r_max (+2)", tight + 2.0)):
                runs[label] = align(items, policy, judge, method="itp_algorithm1", n=n, beta=args.beta,
                                    r_max=bound, params=params, task=task, cache=cache)

    def per_response(rows: list) -> float:
        return sum(r.candidates for r in rows) / len(rows)

    def accuracy(rows: list) -> float:
        return sum(r.true_reward or 0.0 for r in rows) / len(rows)

    print(f"capitals_fewshot, {len(items)} prompts, N = {n}, beta = {args.beta}")
    print("(a) candidates generated per returned response (accuracy on these prompts)")
    print(f"  Best-of-N                      {per_response(bon):6.2f}   ({accuracy(bon):.2f})")
    print(f"  ITP, pool form                 {per_response(pool_itp):6.2f}   ({accuracy(pool_itp):.2f})")
    for label, rows in runs.items():
        fallbacks = sum(r.extra.get("fallback_draws", 0) for r in rows)
        print(f"  ITP Algorithm 1, {label:<14}{per_response(rows):6.2f}   ({accuracy(rows):.2f}); "
              f"{fallbacks}/{len(rows)} fell back; ratio to pool ITP {per_response(rows) / per_response(pool_itp):.2f}x")
    print(f"    (tight r_max = {tight:.3f}: the largest judge score among each prompt's first 2N + 1 samples)")
    print("(b) orchestration overhead, same samples and distinct judge calls (best of 2, alternated)")
    print(f"  direct backend calls  {direct:7.2f} s")
    print(f"  align() with cache    {through_align:7.2f} s")
    print(f"  align / direct        {through_align / direct:7.3f}x")


if __name__ == "__main__":
    main()
