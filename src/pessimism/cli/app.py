"""Assemble the typer application. Each subcommand module exposes ``register(app)``; heavy imports
stay inside the command functions so ``pessimism --help`` is instant."""

from __future__ import annotations

import typer

from . import align_cmd, demo_cmd, lab_cmd, rules_cmd, serve_cmd, theory_cmd

# One line per room; keep the order users read in `pessimism --help`.
COMMAND_MODULES = [demo_cmd, rules_cmd, align_cmd, lab_cmd, theory_cmd, serve_cmd]


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="pessimism",
        help="Inference-time alignment that does not reward-hack: ITP, Best-of-N and friends.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
    )

    @app.callback()
    def _root() -> None:
        """Inference-time alignment that does not reward-hack: ITP, Best-of-N and friends."""

    for module in COMMAND_MODULES:
        module.register(app)
    return app
