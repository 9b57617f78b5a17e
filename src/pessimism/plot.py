"""Scaling plots: true reward against the budget N (or compute) on a log2 axis.

One line per label (by default ``(method, beta)``) with a shaded error band of +/- ``band`` times the
row's standard error. Best-of-N is dashed and the oracle pass@N dotted by default, so the eye finds the
reward-hacking baseline and the ceiling at once. matplotlib is the ``[lab]`` extra; it is imported
lazily with the Agg backend, so this works on headless machines and never opens a window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ._extras import require


def _number(value: Any) -> float:
    """A cell as a float; empty / None / unparsable -> NaN (such points are skipped, not invented)."""
    if value is None or value == "":
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _label_part(key: str, value: Any, first: bool) -> str | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        value = f"{value:g}"
    if first or (isinstance(value, str) and "=" in value):
        return str(value)
    return f"{key}={value}"


def _rows_of(rows: Any) -> list[Mapping[str, Any]]:
    """Accept a list of dicts or any table object exposing ``to_rows()`` / ``rows``."""
    if hasattr(rows, "to_rows"):
        rows = rows.to_rows()
    elif hasattr(rows, "rows") and not isinstance(rows, Mapping):
        rows = rows.rows
    out = list(rows)
    for i, row in enumerate(out):
        if not isinstance(row, Mapping):
            raise ValueError(f"rows[{i}] is a {type(row).__name__}, not a mapping; pass a list of dicts")
    return out


def plot_scaling(
    rows: Iterable[Mapping[str, Any]],
    path: str | Path,
    *,
    x: str = "n",
    y: str = "mean_true_reward",
    err: str | None = "stderr",
    label_keys: Sequence[str] = ("method", "beta"),
    dashed: Sequence[str] = ("bon",),
    dotted: Sequence[str] = ("oracle",),
    title: str = "",
    xlabel: str | None = None,
    ylabel: str = "true reward",
    band: float = 1.0,
    dpi: int = 120,
) -> Path:
    """Plot ``y`` against ``x`` (log2 axis), one line per distinct value of ``label_keys``; save to ``path``.

    Args:
        rows: tidy rows (dicts), e.g. :func:`pessimism.lab.evaluate`'s output.
        path: the image file to write (the format follows the suffix; ``.png`` usually).
        x, y, err: column names; ``err`` may be ``None`` for no band. The band is ``y +/- band*err``.
        label_keys: columns whose values name a line; the first is shown bare (the method), the
            others as ``key=value`` (a string value that already reads ``name=value`` is shown as
            it is); empty values are left out (``bon`` rather than ``bon beta=``).
        dashed, dotted: values of the first label key drawn dashed / dotted.
        title, xlabel (defaults to ``x``), ylabel: text.

    Points whose ``x`` is not a finite positive number (e.g. the ``N = inf`` limit) cannot sit on a
    log axis; they are drawn as a short horizontal tick at the right edge of their line's colour
    instead of being dropped silently. Returns the path written.
    """
    matplotlib = require("matplotlib", "lab", "plotting scaling curves")
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401  (makes matplotlib.ticker available below)

    if not label_keys:
        raise ValueError("label_keys must name at least one column (e.g. ('method',))")
    data = _rows_of(rows)
    if not data:
        raise ValueError("rows is empty: there is nothing to plot")
    for column in (x, y):
        if not any(column in row for row in data):
            raise ValueError(f"no row has a column {column!r}; columns present: {sorted(data[0])}")

    lines: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in data:
        lines.setdefault(tuple(row.get(k) for k in label_keys), []).append(row)

    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    if len(lines) > 10:  # the default cycle has 10 colours; never let two lines share one
        ax.set_prop_cycle(color=[plt.get_cmap("tab20")(i % 20) for i in range(len(lines))])
    try:
        limits: list[tuple[str, float]] = []
        for key, members in lines.items():
            parts = [_label_part(k, v, i == 0) for i, (k, v) in enumerate(zip(label_keys, key))]
            label = " ".join(p for p in parts if p) or "(unlabelled)"
            method = str(key[0])
            style = "--" if method in dashed else ":" if method in dotted else "-"
            points = sorted(
                (_number(r.get(x)), _number(r.get(y)), _number(r.get(err)) if err else math.nan)
                for r in members
            )
            finite = [p for p in points if math.isfinite(p[0]) and p[0] > 0 and math.isfinite(p[1])]
            beyond = [p for p in points if not (math.isfinite(p[0]) and p[0] > 0) and math.isfinite(p[1])]
            if finite:
                xs = [p[0] for p in finite]
                ys = [p[1] for p in finite]
                (line,) = ax.plot(xs, ys, style, marker="o", markersize=3, linewidth=1.6, label=label)
                es = [p[2] if math.isfinite(p[2]) else 0.0 for p in finite]
                if err and any(e > 0 for e in es):
                    ax.fill_between(
                        xs,
                        [v - band * e for v, e in zip(ys, es)],
                        [v + band * e for v, e in zip(ys, es)],
                        color=line.get_color(),
                        alpha=0.18,
                        linewidth=0,
                    )
                colour = line.get_color()
            else:
                colour = None
            for p in beyond:
                limits.append((colour or "black", p[1]))
                if not finite:
                    ax.plot([], [], style, color="black", label=f"{label} (N=inf)")
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        if limits:
            ax.text(1.0, 1.01, "N=inf", transform=ax.transAxes, fontsize=7, ha="center", va="bottom")
            for colour, value in limits:
                ax.plot([1.0], [value], marker="_", markersize=14, markeredgewidth=2.5, color=colour,
                        transform=ax.get_yaxis_transform(), clip_on=False)
        ax.set_xlabel(xlabel if xlabel is not None else x)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8, loc="best", ncol=2 if len(lines) > 6 else 1)
        fig.tight_layout()
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=dpi)
    finally:
        plt.close(fig)
    return out
