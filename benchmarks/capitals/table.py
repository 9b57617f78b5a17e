"""Print the README's results tables from <results>/<signal>/results.csv (default: ./results).

One row per rule, mean true reward ± standard error on the held-out prompts at N = 1, 8, 32, 128, and
the candidates each rule generated per prompt at N = 128.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIGNALS = ("judge", "self_certainty")
COLUMNS = (1, 8, 32, 128)
ORDER = (
    ("bon", ""), ("bon", "n_used=auto"), ("itp", "beta=auto"), ("itp_alg1", "beta=auto"),
    ("soft_bon", "beta=auto"), ("topk", "m=auto"), ("best_of_poisson", ""),
    ("majority_vote", ""), ("weighted_majority_vote", ""), ("uniform", ""), ("oracle", ""),
)


def label(method: str, setting: str) -> str:
    return f"{method} {setting}".strip()


def load(results: Path, signal: str) -> dict[tuple[str, str], dict[int, dict[str, str]]]:
    rows: dict[tuple[str, str], dict[int, dict[str, str]]] = {}
    with (results / signal / "results.csv").open() as fh:
        for row in csv.DictReader(fh):
            if row["n"] in ("inf",):
                continue
            rows.setdefault((row["method"], row["setting"]), {})[int(float(row["n"]))] = row
    return rows


def table(results: Path, signal: str) -> str:
    rows = load(results, signal)
    head = "| rule | " + " | ".join(f"N={n}" for n in COLUMNS) + " | candidates at N=128 |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    keys = [k for k in ORDER if k in rows] + sorted(k for k in rows if k not in ORDER)
    for key in keys:
        by_n = rows[key]
        cells = []
        for n in COLUMNS:
            r = by_n.get(n)
            cells.append(f"{float(r['mean_true_reward']):.3f} ± {float(r['stderr']):.3f}" if r else "")
        compute = by_n.get(128, {}).get("compute", "")
        tail = f"{float(compute):.1f}" if compute else ""
        lines.append(f"| {label(*key)} | " + " | ".join(cells) + f" | {tail} |")
    return "\n".join(lines)


def main() -> None:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results"
    for signal in SIGNALS:
        print(f"\nproxy reward: {signal}\n")
        print(table(results, signal))


if __name__ == "__main__":
    main()
