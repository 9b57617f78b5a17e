"""``pessimism theory``: the theory lab from the command line.

* ``pessimism theory --list``: the bundled instances.
* ``pessimism theory --instance hacking --out DIR [--beta B ...] [--n N ...]``: exact (or stated-error Monte
  Carlo) true reward of Best-of-N, ITP's pool form and ITP Algorithm 1 on a grid of N, written to
  ``DIR/theory.csv`` (``method,n,beta,true_reward`` then ``stderr,exact,expected_draws``) and plotted to
  ``DIR/theory.png``; prints what the curves show on that instance and the paper's claims.
* ``pessimism theory --claims``: check every claim, print the numbers, exit 1 if one fails.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Optional

import typer

from ._errors import friendly_errors

DEFAULT_NS = tuple(2**i for i in range(17))
COLUMNS = ("method", "n", "beta", "true_reward", "stderr", "exact", "expected_draws")


def _rows_for(inst: Any, betas: list[float], ns: list[int], replicates: int, seed: int, alg1: bool) -> list[dict]:
    from ..theory import algorithm1_law, bon_curve, chi2_policy, itp_pool_law

    rows: list[dict] = []
    bon = bon_curve(inst.pi_ref, inst.r_hat, inst.r_star, ns)
    for n, value in zip(ns, bon):
        rows.append({"method": "bon", "n": n, "beta": "", "true_reward": float(value), "stderr": 0.0,
                     "exact": True, "expected_draws": n})
    top = inst.pi_ref * (inst.r_hat == inst.r_max)
    rows.append({"method": "bon", "n": math.inf, "beta": "", "true_reward": float(top @ inst.r_star / top.sum()),
                 "stderr": 0.0, "exact": True, "expected_draws": ""})
    for beta in betas:
        for n in ns:
            est = itp_pool_law(inst.pi_ref, inst.r_hat, beta, n, r_star=inst.r_star, replicates=replicates,
                               rng=seed + n)
            rows.append({"method": "itp", "n": n, "beta": beta, "true_reward": est.value,
                         "stderr": est.value_stderr, "exact": est.exact, "expected_draws": n})
        rows.append({"method": "itp", "n": math.inf, "beta": beta,
                     "true_reward": float(chi2_policy(inst.pi_ref, inst.r_hat, beta) @ inst.r_star),
                     "stderr": 0.0, "exact": True, "expected_draws": ""})
        if alg1:
            for n in ns:
                est = algorithm1_law(inst.pi_ref, inst.r_hat, beta, n, r_star=inst.r_star, replicates=replicates,
                                     rng=seed + n)
                rows.append({"method": "itp_alg1", "n": n, "beta": beta, "true_reward": est.value,
                             "stderr": est.value_stderr, "exact": est.exact,
                             "expected_draws": est.expected_draws})
    return rows


def _write_csv(rows: list[dict], path: Path) -> None:
    import csv

    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})


def _instance_findings(inst: Any, rows: list[dict], betas: list[float]) -> list[tuple[str, str]]:
    """What the curves show on this instance, with the numbers."""
    finite = [r for r in rows if math.isfinite(r["n"])]
    bon = [r for r in finite if r["method"] == "bon"]
    best = max(bon, key=lambda r: r["true_reward"])
    last = bon[-1]
    out = [(
        "BoN",
        f"best N = {best['n']} ({best['true_reward']:.4f}); N = {last['n']}: {last['true_reward']:.4g}; "
        f"N = 1: {bon[0]['true_reward']:.4f}; best response {inst.best_value:.4f}",
    )]
    for beta in betas:
        for method in ("itp", "itp_alg1"):
            curve = [r for r in finite if r["method"] == method and r["beta"] == beta]
            if not curve:
                continue
            drops = [
                (curve[j - 1]["true_reward"] - curve[j]["true_reward"],
                 4 * math.hypot(curve[j - 1]["stderr"], curve[j]["stderr"]) + 1e-12, curve[j]["n"])
                for j in range(1, len(curve))
            ]
            worst = max(drops, key=lambda d: d[0] - d[1]) if drops else (0.0, 0.0, curve[0]["n"])
            monotone = all(d[0] <= d[1] for d in drops)
            end = curve[-1]
            extra = ""
            if method == "itp_alg1":
                extra = f"; expected samples at N = {end['n']}: {end['expected_draws']:.1f}"
            out.append((
                f"{method} beta={beta:g}",
                f"N = 1: {curve[0]['true_reward']:.4f} -> N = {end['n']}: {end['true_reward']:.4f} "
                f"+/- {end['stderr']:.1e} (BoN {last['true_reward']:.4g}); "
                f"{'non-decreasing within 4 SE' if monotone else 'NOT monotone'} "
                f"(largest drop {max(worst[0], 0):.1e} at N = {worst[2]}){extra}",
            ))
    return out


def register(app: typer.Typer) -> None:
    @app.command("theory")
    @friendly_errors
    def theory(
        instance: Optional[str] = typer.Option(None, "--instance", help="Bundled instance (see --list)."),
        beta: Optional[list[float]] = typer.Option(
            None, "--beta", help="ITP beta; repeat for several. Default: sqrt(eps2 / C) of the instance."
        ),
        n: Optional[list[int]] = typer.Option(None, "--n", help="Sample sizes N; repeat. Default 1, 2, 4, ..., 65536."),
        out: Optional[Path] = typer.Option(None, "--out", help="Directory for theory.csv and theory.png."),
        list_: bool = typer.Option(False, "--list", help="List the bundled instances and exit."),
        claims: bool = typer.Option(False, "--claims", help="Check every claim; exit 1 if one fails."),
        skip_claims: bool = typer.Option(False, "--skip-claims", help="With --instance: do not print the claims."),
        algorithm1: bool = typer.Option(True, "--algorithm1/--no-algorithm1", help="Include ITP Algorithm 1."),
        replicates: int = typer.Option(4000, help="Monte Carlo pools where exact enumeration is too large."),
        seed: int = typer.Option(0, help="Seed of the Monte Carlo points."),
    ) -> None:
        """Exact Best-of-N vs ITP on finite instances, and the paper's claims with their numbers."""
        from rich.console import Console
        from rich.table import Table

        from ..theory import CATALOGUE, check_claims, get_instance

        console = Console()
        if list_:
            table = Table(title="bundled instances (pessimism.theory.instances)")
            table.add_column("name")
            table.add_column("what it shows")
            for name, (_, summary) in CATALOGUE.items():
                table.add_row(name, summary)
            console.print(table)
            return
        if instance is None and not claims:
            raise ValueError("pass --instance NAME --out DIR, --claims, or --list (see pessimism theory --help)")

        if instance is not None:
            if out is None:
                raise ValueError("--out DIR is required with --instance (theory.csv and theory.png go there)")
            inst = get_instance(instance)
            ns = sorted(set(n)) if n else list(DEFAULT_NS)
            if ns[0] < 1:
                raise ValueError(f"--n values must be >= 1; got {ns[0]}")
            betas = list(beta) if beta else [inst.beta_star]
            for b in betas:
                if not (math.isfinite(b) and b > 0):
                    raise ValueError(f"--beta values must be finite and > 0; got {b}")
            if replicates < 2:
                raise ValueError(f"--replicates must be >= 2 (a standard error needs two); got {replicates}")

            summary = Table(title=f"{inst.name}: {inst.description}")
            for col in ("response", "pi_ref", "r_hat", "r_star"):
                summary.add_column(col, justify="left" if col == "response" else "right")
            for label, p, rh, rs in zip(inst.labels, inst.pi_ref, inst.r_hat, inst.r_star):
                summary.add_row(label, f"{p:.4g}", f"{rh:.4g}", f"{rs:.4g}")
            console.print(summary)
            scale = math.sqrt(inst.coverage * inst.eps2)
            console.print(
                f"eps2 = {inst.eps2:.4g}, C (best response) = {inst.coverage:.4g}, C_inf = {inst.coverage_linf:.4g}, "
                f"sqrt(C eps2) = {scale:.4g}, sqrt(eps2/C) = "
                f"{math.sqrt(inst.eps2 / inst.coverage):.4g}, best response true reward {inst.best_value:.4g}"
            )

            rows = _rows_for(inst, betas, ns, replicates, seed, algorithm1)
            out.mkdir(parents=True, exist_ok=True)
            _write_csv(rows, out / "theory.csv")
            from ..plot import plot_scaling

            plot_scaling(rows, out / "theory.png", x="n", y="true_reward", err="stderr",
                         title=f"theory lab: {inst.name}", xlabel="N (samples)")
            findings = Table(title=f"on {inst.name} (exact where marked in theory.csv, else Monte Carlo +/- 1 SE)")
            findings.add_column("rule")
            findings.add_column("what the curve shows")
            for rule, text in _instance_findings(inst, rows, betas):
                findings.add_row(rule, text)
            console.print(findings)
            console.print(f"wrote {out / 'theory.csv'} and {out / 'theory.png'}")

        if skip_claims and not claims:
            return
        results = check_claims()
        table = Table(title="the paper's claims, checked (pessimism.theory.claims)")
        table.add_column("claim")
        table.add_column("holds")
        table.add_column("statement and numbers")
        for c in results:
            table.add_row(c.key, "[green]yes[/green]" if c.passed else "[red]NO[/red]",
                          f"{c.statement}\n{c.evidence}")
        console.print(table)
        failed = [c.key for c in results if not c.passed]
        if claims and failed:
            console.print(f"[red]{len(failed)} claim(s) failed: {', '.join(failed)}[/red]")
            raise typer.Exit(1)
