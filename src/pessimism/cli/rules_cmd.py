"""``pessimism rules``: show what each selection rule does to a handful of rewards.

A zero-dependency look at the selection core (numpy only), useful before any model is installed.
"""

from __future__ import annotations

import typer

from ._errors import friendly_errors


def register(app: typer.Typer) -> None:
    @app.command("rules")
    @friendly_errors
    def rules(
        rewards: str = typer.Argument(
            "0.1,0.4,0.35,2.5,0.2,0.3", help="Comma-separated proxy rewards of N candidates."
        ),
        beta: float = typer.Option(0.5, help="beta of itp and soft_bon (reward units)."),
        k: int = typer.Option(2, help="k of topk."),
    ) -> None:
        """Print each rule's probability of returning each candidate."""
        import numpy as np
        from rich.console import Console
        from rich.table import Table

        from ..select import chi2_lambda, selection_probs

        try:
            r = np.array([float(x) for x in rewards.split(",")])
        except ValueError:
            raise ValueError(f"rewards must be comma-separated numbers, e.g. 0.1,0.5,2; got {rewards!r}") from None
        table = Table(title=f"selection probabilities (lam_hat = {chi2_lambda(r, beta):.4g} at beta = {beta})")
        table.add_column("rule")
        for i, value in enumerate(r):
            table.add_column(f"#{i} r={value:g}", justify="right")
        for method, params in (
            ("uniform", {}),
            ("bon", {}),
            ("topk", {"k": k}),
            ("soft_bon", {"beta": beta}),
            ("itp", {"beta": beta}),
        ):
            probs = selection_probs(method, r, **params)
            table.add_row(method, *(f"{p:.3f}" for p in probs))
        Console().print(table)
