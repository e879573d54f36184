"""ganrep figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kdgen.curves.decay import decay
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


def _curves(ax, means: pd.DataFrame, fits: pd.DataFrame | None, xcol: str, ycol: str = "rep_pct") -> None:
    colours = plt.get_cmap("tab10")
    for i, ((gen, ds), grp) in enumerate(means.groupby(["generator", "dataset"], sort=True)):
        label = f"{gen} / {ds}"
        ax.errorbar(grp[xcol], grp[ycol], yerr=grp.get("rep_std") if ycol == "rep_pct" else None, fmt="o-" if fits is None else "o", color=colours(i), label=label, capsize=2)
        if fits is not None:
            f = fits[(fits["generator"] == gen) & (fits["dataset"] == ds)]
            if len(f):
                f = f.iloc[0]
                grid = np.linspace(grp["id"].min() - 0.5, grp["id"].max() + 0.5, 100)
                x = (grid - f["id_mu"]) / f["id_sd"]
                excluded = isinstance(f.get("excluded"), str) and f["excluded"] != ""
                # a degenerate curve is drawn thin and dotted and named as left out of the shared factor
                label = f"fit a={f['a']:.4f}: degenerate, not pooled" if excluded else f"fit a={f['a']:.4f}, R²={f['r2_corr']:.2f}"
                ax.plot(grid, decay(x, f["a"], f["b"], f["c"]), color=colours(i), ls=":" if excluded else "-", lw=0.8 if excluded else 1.5, label=label)


def replication_vs_id_figure(means, fits, paper, paper_fits, paper_curves, alpha) -> Figure:
    with plt.rc_context(STYLE):
        fig, (ours, theirs) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    _curves(ours, means, fits, "id")
    pooled = int(fits["curves_pooled"].iloc[0]) if "curves_pooled" in fits and len(fits) else len(fits)
    shared = f"shared a = {fits['a_mean_over_curves'].iloc[0]:.4f} ± {fits['a_std_over_curves'].iloc[0]:.4f}" if pooled else "no curve decays"
    ours.set_title(f"this run ({shared}, {pooled} of {len(fits)} curves)")
    ours.set_xlabel("intrinsic dimensionality of the training subset")
    ours.set_ylabel(f"replication % (alpha = {alpha:g} at 128x128x3)")
    ours.legend(fontsize=7)
    for fit in paper_fits.itertuples():
        colour = DATASET_COLOURS.get(fit.dataset)
        pts = paper[(paper["gan"] == fit.gan) & (paper["dataset"] == fit.dataset) & (paper["in_main_fit"] == "yes")]
        theirs.scatter(pts["id"], pts[f"rep_pct_alpha{int(alpha)}"], color=colour, marker=GAN_MARKERS.get(fit.gan, "o"))
        c = paper_curves[(paper_curves["gan"] == fit.gan) & (paper_curves["dataset"] == fit.dataset)]
        theirs.plot(c["id"], c["rep_pct"], color=colour, ls="-" if fit.gan == "BigGAN" else "--", label=f"{fit.gan} / {fit.dataset}")
    theirs.set_title("published (Feng et al. 2021), our re-fit")
    theirs.set_xlabel("intrinsic dimensionality")
    theirs.set_ylim(-3, 103)
    theirs.legend(fontsize=7)
    return fig


def _size_ticks(ax: plt.Axes, sizes: pd.Series) -> None:
    """Ticks at the sizes of the ladder, written as plain numbers on a log axis."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    ax.set_xticks(sorted(set(sizes.astype(int))))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())


def replication_vs_size_figure(runs: pd.DataFrame, alpha: float) -> Figure:
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    colours = plt.get_cmap("tab10")
    col = f"rep_pct_alpha{alpha:g}"
    seeds = runs["seed"].nunique()
    for i, ((gen, ds), grp) in enumerate(runs.groupby(["generator", "dataset"], sort=True)):
        m = grp.groupby("size")[[col, "rep_pct_ratio"]].agg(["mean", "std"]).fillna(0)  # std 0 for one seed
        ax.errorbar(m.index, m[(col, "mean")], yerr=m[(col, "std")], fmt="o-", capsize=2, color=colours(i), label=f"{gen} / {ds}: alpha {alpha:g}")
        ax.errorbar(m.index, m[("rep_pct_ratio", "mean")], yerr=m[("rep_pct_ratio", "std")], fmt="s--", capsize=2, color=colours(i), alpha=0.6, label=f"{gen} / {ds}: ratio test")
    ax.set_xscale("log")
    _size_ticks(ax, runs["size"])
    ax.set_xlabel("training-set size")
    ax.set_ylabel("replication %")
    ax.legend(fontsize=6)
    ax.set_title(f"replication vs dataset size (mean ± std over {seeds} seed{'s' * (seeds > 1)})")
    return fig


def one_shot_figure(means: pd.DataFrame, shots: pd.DataFrame, fits: pd.DataFrame) -> Figure:
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    colours = plt.get_cmap("tab10")
    for i, ((gen, ds), grp) in enumerate(means.groupby(["generator", "dataset"], sort=True)):
        ax.errorbar(grp["id"], grp["rep_pct"], yerr=grp["rep_std"].fillna(0), fmt="o", capsize=2, color=colours(i), label=f"{gen} / {ds}")
        s = shots[(shots["generator"] == gen) & (shots["dataset"] == ds)]
        if len(s) and pd.notna(s.iloc[0].get("b")):
            s = s.iloc[0]
            f = fits.iloc[0]
            grid = np.linspace(grp["id"].min() - 0.5, grp["id"].max() + 0.5, 100)
            x = (grid - f["id_mu"]) / f["id_sd"]
            ax.plot(grid, decay(x, s["a"], s["b"], s["c"]), "--", color=colours(i), label=f"one-shot, R²={s['r2_corr']:.2f}")
    ax.set_xlabel("intrinsic dimensionality")
    ax.set_ylabel("replication %")
    ax.set_title("one-shot estimates from the smallest-ID point (leave one curve out)")
    ax.legend(fontsize=6)
    return fig


def fid_vs_size_figure(runs: pd.DataFrame, extractor: str) -> Figure:
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(5.5, 3.6), layout="constrained")
    for (gen, ds), grp in runs.groupby(["generator", "dataset"], sort=True):
        m = grp.groupby("size")["fid"].agg(["mean", "std"])
        ax.errorbar(m.index, m["mean"], yerr=m["std"].fillna(0), fmt="o-", capsize=2, label=f"{gen} / {ds}")
    ax.set_xscale("log")
    _size_ticks(ax, runs["size"])
    ax.set_xlabel("training-set size")
    ax.set_ylabel("FID")
    ax.set_title(f"FID vs size — features: {extractor}", fontsize=8)
    ax.legend(fontsize=7)
    return fig


def nearest_neighbour_figure(rows: list[tuple[str, np.ndarray, np.ndarray]], per_row: int = 8) -> Figure:
    """Each row: a label, generated samples and their nearest training images (stacked below)."""
    h = rows[0][1].shape[1]
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(len(rows), 1, figsize=(1.0 + 0.8 * per_row, 1.6 * len(rows)), layout="constrained", squeeze=False)
    for ax, (label, samples, nearest) in zip(axes[:, 0], rows):
        top = np.concatenate(list(samples[:per_row]), axis=1)
        bottom = np.concatenate(list(nearest[:per_row]), axis=1)
        ax.imshow(np.concatenate([top, bottom], axis=0), interpolation="nearest")
        ax.set_yticks([h / 2, 1.5 * h])
        ax.set_yticklabels(["generated", "nearest\ntraining"], fontsize=7)
        ax.set_xticks([])
        ax.grid(False)
        ax.set_title(label, fontsize=8)
    return fig
