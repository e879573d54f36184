"""The scorecard figure: one panel per claim (and variant), its estimate and interval coloured by verdict,
the rule's reference line (0, or the claim's threshold) dashed, the published value a black diamond.
Each claim has its own axis: the statistics are in different units."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from kdgen.plots.style import STYLE, plt

COLOURS = {"holds": "#2e7d32", "fails": "#c62828", "inconclusive": "#757575", "not built": "#bdbdbd"}


def _finite(x: object) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def scorecard_figure(table: pd.DataFrame) -> Figure:
    """The scorecard table (:func:`kdgen.scorecard.scorecard_table`) drawn row by row."""
    rows = list(table.itertuples(index=False))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(rows), 1, figsize=(7.5, 0.8 * len(rows) + 0.9), layout="constrained", squeeze=False)
        for ax, r in zip(axes[:, 0], rows):
            colour = COLOURS.get(r.verdict, "black")
            values = [v for v in (r.estimate, r.low, r.high, r.reference, r.published) if _finite(v)]
            ax.axvline(float(r.reference) if _finite(r.reference) else 0.0, color="black", lw=0.8, ls="--")
            if _finite(r.low) and _finite(r.high):
                ax.plot([r.low, r.high], [0, 0], color=colour, lw=4, solid_capstyle="butt", alpha=0.6)
            if _finite(r.estimate):
                ax.plot([r.estimate], [0], "o", color=colour, ms=6)
            if _finite(r.published):
                ax.plot([r.published], [0], "D", color="black", ms=5)
            label = f"{r.claim}" + (f" {r.variant}" if isinstance(r.variant, str) and r.variant else "")
            ax.set_yticks([0], [label])
            ax.set_ylim(-1, 1)
            ax.grid(axis="y", visible=False)
            span = (min(values), max(values)) if values else (-1.0, 1.0)
            pad = max((span[1] - span[0]) * 0.15, 1e-3 + 0.05 * max(abs(span[0]), abs(span[1])))
            ax.set_xlim(span[0] - pad, span[1] + pad)
            n = f"n={r.n}" if int(r.n) else "no interval"
            ax.text(1.01, 0.5, f"{r.verdict} ({n})", transform=ax.transAxes, va="center", fontsize=8, color=colour)
            ax.tick_params(axis="x", labelsize=7)
            ax.set_title(str(r.statistic), fontsize=7, loc="left", pad=2)
        handles = [Line2D([], [], color=c, lw=4, label=v) for v, c in COLOURS.items()]
        handles.append(Line2D([], [], marker="D", color="black", ls="", label="published"))
        fig.legend(handles=handles, loc="outside upper center", ncols=len(handles), fontsize=8)
    return fig

