"""Speed of the ITP selection rule against one numpy sort and a per-row Python implementation.

Run:  python bench/selection.py [--rows 1000] [--n 1024] [--repeat 7]

Prints the best-of-repeats time of each and two ratios. Targets (issue 2): itp at most 3x one
``numpy.sort`` of the same matrix, and at least 20x faster than the per-row Python version. Absolute
times on shared machines mean little; the ratios compare the three in one run.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from pessimism import selection_probs


def itp_per_row_python(rewards: list[list[float]], beta: float) -> list[list[float]]:
    """A straightforward implementation: per row, sort, scan prefix sums for the active set."""
    out = []
    for row in rewards:
        n = len(row)
        desc = sorted(row, reverse=True)
        prefix, lam = 0.0, 0.0
        for k, value in enumerate(desc, 1):
            prefix += value
            candidate = (prefix - n * beta) / k
            if value > candidate:
                lam = candidate
            else:
                break
        out.append([max((r - lam) / beta, 0.0) / n for r in row])
    return out


def best_time(func: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--beta", type=float, default=0.5)
    args = parser.parse_args()

    rewards = np.random.default_rng(0).standard_normal((args.rows, args.n))
    as_lists = rewards.tolist()

    fast = selection_probs("itp", rewards, beta=args.beta)
    slow = np.array(itp_per_row_python(as_lists, args.beta))
    np.testing.assert_allclose(fast, slow, atol=1e-12)  # same answer before comparing speed

    t_itp = best_time(lambda: selection_probs("itp", rewards, beta=args.beta), args.repeat)
    t_sort = best_time(lambda: np.sort(rewards, axis=-1), args.repeat)
    t_python = best_time(lambda: itp_per_row_python(as_lists, args.beta), max(1, args.repeat // 3))

    print(f"matrix {args.rows} x {args.n}, standard normal, beta = {args.beta}")
    print(f"  selection_probs('itp')   {t_itp * 1e3:9.2f} ms")
    print(f"  numpy.sort (one)         {t_sort * 1e3:9.2f} ms")
    print(f"  per-row Python           {t_python * 1e3:9.2f} ms")
    print(f"itp / sort       = {t_itp / t_sort:6.2f}x   (target <= 3x)")
    print(f"python / itp     = {t_python / t_itp:6.1f}x   (target >= 20x)")


if __name__ == "__main__":
    main()
