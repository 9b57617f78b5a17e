"""The ``pessimism`` command line: a typer app whose subcommands live one per module here."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of the ``pessimism`` console script."""
    try:
        from .app import build_app
    except ImportError as exc:  # typer / rich are the [cli] extra
        missing = getattr(exc, "name", None) or str(exc)
        sys.stderr.write(
            f"pessimism's command line needs the [cli] extra ({missing} is not installed):\n"
            "    pip install 'pessimism[cli]'\n"
        )
        raise SystemExit(2) from None
    build_app()()
