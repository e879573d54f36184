"""Figures of the gmaug study (generative re-balancing of long-tailed data against SSIM-supSubCls): the gain
of each re-balanced classifier with its fitted decay gain = A exp(-k x) beside the published points, real
images next to the candidates the filter kept and rejected, learning curves and the per-class counts.

Colours are the Okabe-Ito palette (safe for colour-blind readers): one per generator in the gain figure,
one per arm in the learning curves. Matplotlib only (no torch).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from kdgen.plots.style import STYLE

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GREY = "#999999"
GENERATOR_MARKERS = ["o", "s", "D", "P", "X", "h"]
ARM_MARKERS = {"step2": "^", "no_filter": "v", "random": "<"}
ARM_COLOURS = {"step1": OKABE_ITO[0], "step2": OKABE_ITO[2], "no_filter": OKABE_ITO[3], "random": OKABE_ITO[4]}
PAPER_FIT_STYLES = {"re-fit (least squares)": ("-", OKABE_ITO[3]), "published": ("--", "black")}
PAPER = "published (Guo et al. 2023)"
# dataset names stay readable where they cross a curve
NAME_STYLE = {
    "fontsize": 6,
    "color": "#444444",
    "zorder": 5,
    "bbox": {"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
}


def _styled(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    """``draw`` run under the house style, so its texts, legends and axes all take it."""

    @functools.wraps(draw)
    def styled(*args, **kwargs) -> Figure:
        with plt.rc_context(STYLE):
            return draw(*args, **kwargs)

    return styled


def _subplots(width: float, height: float, nrows: int = 1, ncols: int = 1, **kwargs) -> tuple[Figure, np.ndarray]:
    """A constrained figure and its (nrows, ncols) axes, made under the house style (grid, no top/right spines)."""
    with plt.rc_context(STYLE):
        fig = plt.figure(figsize=(width, height), layout="constrained")
        return fig, fig.subplots(nrows, ncols, squeeze=False, **kwargs)


def _num(value: object, fmt: str) -> str:
    """``value`` formatted, or ``n/a`` when it is missing or not finite."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "n/a"
    return format(v, fmt) if math.isfinite(v) else "n/a"


def _finite(row: Mapping[str, object], *keys: str) -> bool:
    """Whether every key of ``row`` holds a finite number."""
    try:
        return all(math.isfinite(float(row.get(k, float("nan")))) for k in keys)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _grid(x: np.ndarray, pad: float = 0.05) -> np.ndarray:
    """200 points over the range of ``x`` widened by ``pad`` of its span on both sides."""
    lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
    span = hi - lo if hi > lo else max(abs(hi), 0.1)
    return np.linspace(lo - pad * span, hi + pad * span, 200)


def _generator_style(generators: Sequence[str]) -> dict[str, tuple[str, str]]:
    """(colour, marker) of each generator, in the given order."""
    return {
        g: (OKABE_ITO[i % len(OKABE_ITO)], GENERATOR_MARKERS[i % len(GENERATOR_MARKERS)])
        for i, g in enumerate(generators)
    }


def _fit_row(fit: pd.DataFrame, generator: str) -> dict[str, object] | None:
    """The step-1 fit of ``generator`` on the configured SSIM and the paper's accuracy protocol; None without A."""
    if not len(fit) or "A" not in fit:
        return None
    rows = fit[
        (fit["generator"] == generator)
        & (fit["arm"] == "step1")
        & (fit["ssim"] == "config")
        & (fit["accuracy"] == "paper")
    ]
    if not len(rows):
        return None
    row = rows.iloc[0].to_dict()
    return row if _finite(row, "A", "k") else None


def gain_panel(ax: Axes, gain: pd.DataFrame, fit: pd.DataFrame) -> None:
    """This run: the step-1 gain (paper accuracy protocol) per dataset against SSIM-supSubCls (configured
    protocol), error bars the std over seeds, the fitted A exp(-k x) per generator, other arms hollow."""
    generators = list(dict.fromkeys(gain["generator"])) if len(gain) else []
    styles = _generator_style(generators)
    ok = (
        gain[np.isfinite(gain["ssim_config"].to_numpy(float)) & np.isfinite(gain["gain_paper"].to_numpy(float))]
        if len(gain)
        else gain
    )
    step1 = ok[ok["arm"] == "step1"] if len(ok) else ok
    if not len(ok):
        ax.text(0.5, 0.5, "no gains with an SSIM-supSubCls yet", ha="center", va="center", transform=ax.transAxes)
    grid = _grid(ok["ssim_config"].to_numpy(float)) if len(ok) else None
    for g in generators:
        colour, marker = styles[g]
        rows = step1[step1["generator"] == g]
        x, y = rows["ssim_config"].to_numpy(float), rows["gain_paper"].to_numpy(float)
        std = rows["gain_paper_std"].to_numpy(float) if "gain_paper_std" in rows else np.full(len(rows), np.nan)
        bars = np.isfinite(std)
        if bars.any():
            ax.errorbar(x[bars], y[bars], yerr=std[bars], fmt="none", ecolor=colour, elinewidth=1, capsize=2, zorder=2)
        if len(rows):
            ax.scatter(
                x,
                y,
                color=colour,
                marker=marker,
                s=30,
                zorder=3,
                edgecolors="black",
                linewidths=0.4,
                label=f"{g} step 1",
            )
        f = _fit_row(fit, g)
        if f is not None and grid is not None:
            label = (
                f"{g}: A={_num(f['A'], '.3g')}, k={_num(f['k'], '.3g')}, R²={_num(f.get('r2_corr'), '.3f')}, "
                f"ρ={_num(f.get('spearman_rho'), '.2f')}"
            )
            ax.plot(grid, float(f["A"]) * np.exp(-float(f["k"]) * grid), color=colour, lw=1.5, label=label, zorder=1)
        elif len(rows):
            ax.plot([], [], color=colour, lw=1.5, ls=":", label=f"{g}: no fit")
    others = [a for a in dict.fromkeys(ok["arm"]) if a != "step1"] if len(ok) else []
    arm_handles = []
    for arm in others:
        marker = ARM_MARKERS.get(arm, "d")
        for g in generators:
            rows = ok[(ok["arm"] == arm) & (ok["generator"] == g)]
            ax.scatter(
                rows["ssim_config"],
                rows["gain_paper"],
                marker=marker,
                s=18,
                facecolors="none",
                edgecolors=styles[g][0],
                linewidths=1.0,
                zorder=2,
            )
        arm_handles.append(
            Line2D([], [], ls="none", marker=marker, ms=5, mfc="none", mec=GREY, label=f"{arm} (hollow)")
        )
    # the dataset names once each, beside the highest step-1 point of the dataset (else of any arm)
    named = step1 if len(step1) else ok
    for dataset, rows in (named.groupby("dataset", sort=False) if len(named) else []):
        top = rows.loc[rows["gain_paper"].idxmax()]
        ax.annotate(
            str(dataset),
            (top["ssim_config"], top["gain_paper"]),
            textcoords="offset points",
            xytext=(5, 4),
            **NAME_STYLE,
        )
    ax.axhline(0, color="black", ls="--", lw=0.8)
    handles, _ = ax.get_legend_handles_labels()
    if handles or arm_handles:
        ax.legend(handles=[*handles, *arm_handles], fontsize=6, loc="upper right")
    ax.set(xlabel="SSIM-supSubCls", ylabel="gain (%)", title="this run (step 1 filled; SSIM: configured protocol)")


def paper_panel(ax: Axes, paper: pd.DataFrame, paper_fit: pd.DataFrame) -> None:
    """The published cGAN gains against SSIM-supSubCls with the re-fitted and the published A exp(-k x)."""
    x, y = paper["ssim_supsubcls"].to_numpy(float), paper["rel_improvement_pct_cgan"].to_numpy(float)
    ax.scatter(x, y, color="black", s=24, zorder=3, label="published points (cGAN)")
    for name, xi, yi in zip(paper["dataset"], x, y):
        ax.annotate(str(name), (xi, yi), textcoords="offset points", xytext=(5, 4), **NAME_STYLE)
    grid = _grid(x) if len(x) else None
    for row in paper_fit.to_dict("records"):
        if grid is None or not _finite(row, "A", "k"):
            continue
        ls, colour = PAPER_FIT_STYLES.get(str(row["fit"]), (":", GREY))
        label = (
            f"{row['fit']}: A={_num(row['A'], '.3g')}, k={_num(row['k'], '.3g')}, R²={_num(row.get('r2_corr'), '.3f')}"
        )
        if _finite(row, "r2_published"):
            label += f" (published R²={_num(row['r2_published'], '.4f')})"
        ax.plot(grid, float(row["A"]) * np.exp(-float(row["k"]) * grid), ls=ls, color=colour, lw=1.5, label=label)
    ax.axhline(0, color="black", ls="--", lw=0.8)
    ax.legend(fontsize=6, loc="upper right")
    ax.set(xlabel="SSIM-supSubCls", ylabel="gain (%)", title=PAPER)


@_styled
def gain_figure(gain: pd.DataFrame, fit: pd.DataFrame, paper: pd.DataFrame, paper_fit: pd.DataFrame) -> Figure:
    """Left: this run's gain against SSIM-supSubCls with the fitted decays; right: the published points."""
    fig, axes = _subplots(12.0, 4.4, 1, 2)
    ours, theirs = axes[0]
    gain_panel(ours, gain, fit)
    paper_panel(theirs, paper, paper_fit)
    fig.suptitle(
        "Gain of generative re-balancing against SSIM-supSubCls: gain = A exp(-k x) (error bars: std over seeds)"
    )
    return fig


@_styled
def paper_fit_figure(paper: pd.DataFrame, paper_fit: pd.DataFrame) -> Figure:
    """The published points with the re-fitted and the published curves, one panel."""
    fig, axes = _subplots(6.5, 4.2)
    paper_panel(axes[0, 0], paper, paper_fit)
    return fig


def _rgb(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W, 3) from (N, H, W), (N, H, W, 1) or (N, H, W, 3)."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    return images.astype(np.uint8, copy=False)


def _mosaic(rows: Sequence[np.ndarray], per_class: int, size: tuple[int, int], gap: int = 1) -> np.ndarray:
    """One white uint8 image: row r holds ``rows[r]`` (up to ``per_class`` images, top-left aligned) side by side."""
    h, w = size
    out = np.full((len(rows) * (h + gap) - gap, per_class * (w + gap) - gap, 3), 255, np.uint8)
    for r, images in enumerate(rows):
        for j, image in enumerate(images[:per_class]):
            y, x = r * (h + gap), j * (w + gap)
            out[y : y + image.shape[0], x : x + image.shape[1]] = image
    return out


def _pick(pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``n`` indices of ``pool`` drawn without replacement, in their original order."""
    return pool if len(pool) <= n else np.sort(rng.choice(pool, size=n, replace=False))


@_styled
def samples_figure(
    real: np.ndarray,
    real_labels: np.ndarray,
    class_names: list[str],
    generators: list[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]],
    per_class: int,
    seed: int = 0,
) -> Figure:
    """Rows: classes; columns: real images, then per generator the candidates the filter kept and rejected (all
    candidates as "unfiltered" without a mask); up to ``per_class`` each, a seeded choice."""
    rng = np.random.default_rng(seed)
    per_class = max(int(per_class), 1)
    k = len(class_names)
    real_labels = np.asarray(real_labels)
    groups: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = [
        ("real", _rgb(real), real_labels, np.ones(len(real_labels), bool))
    ]
    for name, images, labels, accepted in generators:
        images, labels = _rgb(images), np.asarray(labels)
        if accepted is None:
            groups.append((f"{name}\nunfiltered", images, labels, np.ones(len(labels), bool)))
        else:
            accepted = np.asarray(accepted, bool)
            groups += [(f"{name}\nkept", images, labels, accepted), (f"{name}\nrejected", images, labels, ~accepted)]
    sizes = [g[1].shape[1:3] for g in groups if len(g[1])] or [(16, 16)]
    size = (max(s[0] for s in sizes), max(s[1] for s in sizes))
    cell = 0.22  # inches per image
    label_width = 0.1 + 0.06 * max([len(n) for n in class_names] + [4])
    height = 0.8 + max(k, 1) * cell * size[0] / size[1]
    fig, axes = _subplots(label_width + len(groups) * (per_class * cell + 0.15), height, 1, len(groups))
    axes = axes[0]
    for g, (ax, (title, images, labels, mask)) in enumerate(zip(axes, groups)):
        chosen = [images[_pick(np.flatnonzero(mask & (labels == c)), per_class, rng)] for c in range(k)]
        ax.imshow(_mosaic(chosen, per_class, size), interpolation="nearest")
        for c, picked in enumerate(chosen):
            if not len(picked):
                ax.text(
                    (per_class * (size[1] + 1) - 1) / 2,
                    c * (size[0] + 1) + size[0] / 2,
                    "none",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color=GREY,
                    alpha=0.8,
                )
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([c * (size[0] + 1) + size[0] / 2 for c in range(k)] if g == 0 else [])
        if g == 0:
            ax.set_yticklabels(class_names, fontsize=7)
            ax.tick_params(axis="y", length=0)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    fig.suptitle(
        f"Real images of the imbalanced subset and each generator's candidates (up to {per_class} per class)",
        fontsize=9,
    )
    return fig


def _loss_column(frame: pd.DataFrame) -> str | None:
    """The training loss to draw: train_ce, else train_loss, else the first other train_* column."""
    for name in ("train_ce", "train_loss"):
        if name in frame:
            return name
    return next((c for c in frame.columns if c.startswith("train_") and c != "train_top1"), None)


def _band(ax: Axes, frames: Sequence[pd.DataFrame], column: str, colour: str, label: str, zorder: float = 2) -> None:
    """Mean of ``column`` per epoch over ``frames`` (seeds) as a line, min-max shaded."""
    used = [f[["epoch", column]] for f in frames if column in f]
    if not used:
        return
    stats = pd.concat(used).groupby("epoch")[column].agg(["mean", "min", "max"])
    ax.plot(stats.index, stats["mean"], color=colour, lw=1.3, label=label, zorder=zorder)
    if len(used) > 1:
        ax.fill_between(stats.index, stats["min"], stats["max"], color=colour, alpha=0.2, lw=0, zorder=zorder - 1)


@_styled
def learning_curves_figure(runs: list[dict], metrics: list[pd.DataFrame]) -> Figure:
    """One column per generator: validation top-1 (top) and training loss (bottom) per epoch, mean over seeds
    with the min-max shaded, one colour per arm; the original classifier in black in every column."""
    pairs = list(zip(runs, metrics))
    original = [m for r, m in pairs if r["arm"] == "original"]
    generators = list(dict.fromkeys(r["generator"] for r, _ in pairs if r["arm"] != "original")) or [""]
    arms = list(dict.fromkeys(r["arm"] for r, _ in pairs if r["arm"] != "original"))
    colours = {a: ARM_COLOURS.get(a, OKABE_ITO[(5 + i) % len(OKABE_ITO)]) for i, a in enumerate(arms)}
    fig, axes = _subplots(max(4.0, 3.6 * len(generators)), 5.2, 2, len(generators), sharex="col", sharey="row")
    for col, g in enumerate(generators):
        top, bottom = axes[0, col], axes[1, col]
        seeds = len(original)
        _band(top, original, "val_top1", "black", f"original ({seeds} seed{'s' * (seeds != 1)})", zorder=4)
        loss = next((c for c in map(_loss_column, original) if c), None)
        if loss:
            _band(bottom, original, loss, "black", "original", zorder=4)
        for arm in arms:
            frames = [m for r, m in pairs if r["generator"] == g and r["arm"] == arm]
            _band(top, frames, "val_top1", colours[arm], arm)
            column = loss or next((c for c in map(_loss_column, frames) if c), None)
            if column:
                _band(bottom, frames, column, colours[arm], arm)
        top.set_title(g or "original only")
        bottom.set_xlabel("epoch")
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
        if col == 0:
            top.set_ylabel("val top-1 (%)")
            bottom.set_ylabel(f"training loss ({loss or 'n/a'})")
    handles = [Line2D([], [], color="black", label="original (imbalanced subset)")]
    handles += [Line2D([], [], color=colours[a], label=a) for a in arms]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=7)
    fig.suptitle("Learning curves: mean over seeds (shaded: min-max)")
    return fig


@_styled
def class_counts_figure(tables: list[tuple[str, pd.DataFrame]]) -> Figure:
    """One panel per generator: real images per class (solid) with the kept generated ones stacked on top
    (hatched), the target dashed and the filter's acceptance rate above each bar."""
    k = max([len(t) for _, t in tables] + [1])
    rotate = k > 10 or max([len(str(c)) for _, t in tables for c in t["class"]] + [0]) > 8
    fig, axes = _subplots(max(6.0, 0.45 * k + 1.5), 0.4 + 2.8 * max(len(tables), 1), max(len(tables), 1), 1)
    axes = axes[:, 0]
    for i, (ax, (name, table)) in enumerate(zip(axes, tables)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        x = np.arange(len(table))
        real = table["real"].to_numpy(float)
        kept = table["kept"].to_numpy(float) if "kept" in table else np.zeros(len(table))
        ax.bar(x, real, color=GREY, edgecolor="black", lw=0.5, label="real")
        ax.bar(
            x,
            kept,
            bottom=real,
            color=colour,
            alpha=0.55,
            hatch="//",
            edgecolor="black",
            lw=0.5,
            label="generated (kept)",
        )
        target = table["target"].to_numpy(float)
        if len(target) and np.all(target == target[0]):
            ax.axhline(target[0], color="black", ls="--", lw=1, label=f"target ({target[0]:g})")
        else:
            ax.hlines(target, x - 0.45, x + 0.45, colors="black", linestyles="--", lw=1, label="target")
        acceptance = table["acceptance"].to_numpy(float) if "acceptance" in table else np.full(len(table), np.nan)
        for xi, top, a in zip(x, real + kept, acceptance):
            ax.annotate(
                f"acc {a:.2f}" if np.isfinite(a) else "-",
                (xi, top),
                textcoords="offset points",
                xytext=(0, 2),
                ha="center",
                va="bottom",
                fontsize=6,
                rotation=90 if k > 12 else 0,
            )
        ax.set_xticks(
            x, list(table["class"]), rotation=45 if rotate else 0, ha="right" if rotate else "center", fontsize=7
        )
        ax.set_ylim(0, max(float(np.nanmax(np.r_[real + kept, target, 1.0])) * 1.25, 1.0))
        ax.set_axisbelow(True)
        ax.grid(False, axis="x")
        ax.set(ylabel="images", title=f"{name}: step 1 ({int(real.sum())} real + {int(kept.sum())} generated)")
        ax.legend(fontsize=7, loc="upper right", ncol=3)
    if not tables:
        axes[0].text(0.5, 0.5, "no generators", ha="center", va="center", transform=axes[0].transAxes)
    fig.suptitle("Images per class after re-balancing (acc: the filter's acceptance rate of the class's candidates)")
    return fig
