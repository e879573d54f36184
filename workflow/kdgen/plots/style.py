"""One look for every figure, headless, and figure files written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from kdgen.runtime import atomic_path  # noqa: E402

STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "savefig.bbox": "tight",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "pdf.fonttype": 42,
}


def new_figure(width: float, height: float) -> tuple[Figure, plt.Axes]:
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def save_figure(fig: Figure, *paths: str | os.PathLike[str]) -> None:
    """Save ``fig`` to each path (format from the suffix) through a temporary file, then close it."""
    with plt.rc_context(STYLE):
        for path in map(Path, paths):
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=path.suffix.lstrip("."), metadata={"CreationDate": None} if path.suffix == ".pdf" else None)
    plt.close(fig)
