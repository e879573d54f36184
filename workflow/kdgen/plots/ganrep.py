"""ganrep figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from kdgen.plots.style import STYLE

DATASET_COLOURS = {"FLOWER": "tab:purple", "CelebA": "tab:orange", "LSUN": "tab:green", "MNIST": "tab:gray"}
GAN_MARKERS = {"BigGAN": "o", "StyleGAN2": "s"}


def paper_fit_figure(paper: pd.DataFrame, fits: pd.DataFrame, curves: pd.DataFrame, alpha: int = 8000) -> Figure:
    """Published replication % vs ID with our re-fitted decay curves, one panel per GAN."""
    gans = list(dict.fromkeys(fits["gan"]))
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(gans), figsize=(4.2 * len(gans), 3.4), layout="constrained", sharey=True)
    for ax, gan in zip(axes, gans):
        for fit in fits[fits["gan"] == gan].itertuples():
            colour = DATASET_COLOURS.get(fit.dataset, None)
            pts = paper[(paper["gan"] == gan) & (paper["dataset"] == fit.dataset) & paper["id"].notna()]
            used = pts["in_main_fit"] == "yes"
            ax.scatter(pts["id"][used], pts[f"rep_pct_alpha{alpha}"][used], color=colour, marker=GAN_MARKERS.get(gan, "o"), zorder=3)
            ax.scatter(pts["id"][~used], pts[f"rep_pct_alpha{alpha}"][~used], facecolors="none", edgecolors=colour, marker=GAN_MARKERS.get(gan, "o"), zorder=3)
            c = curves[(curves["gan"] == gan) & (curves["dataset"] == fit.dataset)]
            ax.plot(c["id"], c["rep_pct"], color=colour, label=f"{fit.dataset}: a={fit.a:.4f}, b={fit.b:.1f}, c={fit.c:.1f}, R²={fit.r2_corr:.3f}")
        ax.set_title(f"{gan} (published points, our re-fit)")
        ax.set_xlabel("intrinsic dimensionality (ID)")
        ax.set_ylim(-3, 103)
        ax.legend(fontsize=7, loc="upper right")
    axes[0].set_ylabel(f"replication % (alpha = {alpha})")
    return fig
