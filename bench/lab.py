"""Speed of the evaluation lab against a straightforward per-prompt, per-replicate Python loop.

Run:  python bench/lab.py [--prompts 500] [--pool 1024] [--reps 100] [--subset 8] [--threads 1]

The workload (issue 3): a synthetic pool of 500 prompts x 1024 responses; N = 1, 2, 4, ..., 1024;
Best-of-N, ITP at 3 betas and soft-BoN at 3 temperatures; 100 Monte Carlo replicates.

* **lab**: :func:`pessimism.lab.evaluate` (BoN exact by order statistics; ITP and soft-BoN by Monte
  Carlo vectorized over prompts and replicates, draws shared across methods).
* **loop**: what research scripts do: for each prompt, each N and each replicate, subsample N
  responses and call the selection core on them for each method (BoN included, by Monte Carlo).
  It is run on ``--subset`` prompts and scaled to the whole pool by the prompt count.

Prints CPU and wall time of both, the ratio, and checks that the two agree (the loop's estimates
against the lab's, per method and N, within 4 standard errors). Targets: ratio >= 50x, lab under a
minute. CPU time is the fairer yardstick on a shared machine; wall time is what a user waits for.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from pessimism.lab import evaluate, make_pool
from pessimism.select import selection_probs

BETAS = (0.1, 0.25, 0.5)
TAUS = (0.1, 0.25, 0.5)


def research_loop(proxy: np.ndarray, truth: np.ndarray, grid: list[int], reps: int, seed: int) -> dict:
    """Per prompt, per N, per replicate: draw N indices, call the core once per method.

    Returns ``{(method, param, N): (per-prompt means, per-prompt variances of the mean)}``.
    """
    rng = np.random.default_rng(seed)
    m = proxy.shape[1]
    out: dict[tuple[str, float, int], tuple[list[float], list[float]]] = {}
    for p in range(proxy.shape[0]):
        r_pool, t_pool = proxy[p], truth[p]
        for n in grid:
            values: dict[tuple[str, float], list[float]] = {}
            for _ in range(reps):
                idx = rng.integers(0, m, size=n)
                r, t = r_pool[idx], t_pool[idx]
                values.setdefault(("bon", 0.0), []).append(float(selection_probs("bon", r) @ t))
                for beta in BETAS:
                    values.setdefault(("itp", beta), []).append(float(selection_probs("itp", r, beta=beta) @ t))
                for tau in TAUS:
                    values.setdefault(("soft_bon", tau), []).append(
                        float(selection_probs("soft_bon", r, beta=tau) @ t)
                    )
            for (method, param), v in values.items():
                means, variances = out.setdefault((method, param, n), ([], []))
                means.append(float(np.mean(v)))
                variances.append(float(np.var(v, ddof=1) / reps))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=500)
    parser.add_argument("--pool", type=int, default=1024)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--subset", type=int, default=8, help="prompts the Python loop runs on (then scaled)")
    parser.add_argument("--threads", type=int, default=1, help="lab worker threads")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    pool = make_pool(args.prompts, args.pool, seed=args.seed, text=False)
    grid = [2**k for k in range(int(math.log2(args.pool)) + 1)]
    print(f"pool: {args.prompts} prompts x {args.pool} responses; N = {grid[0]}..{grid[-1]} ({len(grid)} values); "
          f"bon + itp {BETAS} + soft_bon {TAUS}; {args.reps} replicates")

    cpu, wall = time.process_time(), time.perf_counter()
    table = evaluate(pool, methods=["bon", "itp", "soft_bon"], betas=list(BETAS), taus=list(TAUS), n_grid=grid,
                     reps=args.reps, seed=args.seed, include_limit=False, threads=args.threads)
    lab_cpu, lab_wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"lab:  {lab_cpu:7.2f} s CPU  {lab_wall:7.2f} s wall  ({len(table)} rows, threads={args.threads})")

    subset = min(args.subset, args.prompts)
    cpu, wall = time.process_time(), time.perf_counter()
    loop = research_loop(pool.proxy[:subset], pool.truth[:subset], grid, args.reps, args.seed)
    loop_cpu, loop_wall = time.process_time() - cpu, time.perf_counter() - wall
    scale = args.prompts / subset
    print(f"loop: {loop_cpu:7.2f} s CPU  {loop_wall:7.2f} s wall on {subset} prompts -> "
          f"{loop_cpu * scale:8.1f} s CPU, {loop_wall * scale:8.1f} s wall scaled to {args.prompts}")
    print(f"ratio (loop / lab): {loop_cpu * scale / lab_cpu:6.1f}x CPU, {loop_wall * scale / lab_wall:6.1f}x wall "
          f"(target >= 50x); lab wall {'<' if lab_wall < 60 else '>='} 60 s")

    # agreement: per row, the loop's and the lab's means over the subset differ by Monte Carlo noise only
    worst, worst_row = 0.0, None
    for row in table:
        means, variances = loop[(row["method"], row["beta"] or 0.0, row["n"])]
        lab_mean = float(table.values_of(row)[:subset].mean())
        # the lab's Monte Carlo variance of a subset mean, from its average per-prompt variance
        lab_var = row["mc_stderr"] ** 2 * row["n_prompts"] / subset
        se = math.sqrt(sum(variances) / subset**2 + lab_var)
        z = abs(float(np.mean(means)) - lab_mean) / se if se > 0 else 0.0
        if z > worst:
            worst, worst_row = z, (row["method"], row["setting"], row["n"])
    print(f"agreement: largest |loop - lab| / stderr over {len(table)} rows on {subset} prompts = {worst:.2f} "
          f"at {worst_row} (Monte Carlo noise only; expect < 4)")


if __name__ == "__main__":
    main()
