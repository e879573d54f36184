"""Figures of the xkd study (crossmodal KD with a CLIP teacher T_x): the main student comparison beside
the paper's gains, the label-leakage panels (exact class name vs WordNet-relaxed text), the mix and noise
sweeps, the selected vocabulary per cluster, example retrievals and the compact CLIP's pretraining.

The tables come from :mod:`kdgen.xkd.tables`; error bars are the sample std over seeds. Colours are the
Okabe-Ito palette (safe for colour-blind readers); the paper's numbers are hatched bars or hollow markers
labelled "paper", this run's are filled.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kdgen.plots.style import STYLE
from kdgen.xkd.tables import THIS_RUN

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GREY = "#999999"
TEXT_COLOURS = {"exact": "#D55E00", "relaxed": "#009E73"}
TEXT_LABELS = {"exact": "exact class name (label leakage)", "relaxed": "WordNet-relaxed text"}
SETTING_COLOURS = {"resnet": "#56B4E9", "vit": "#CC79A7"}
AXIS_LABELS = {
    "relaxed_percent": "relaxed text (% of samples;\nthe others get the exact class name)",
    "noise_percent": "noisy text (% of samples\ngiven a wrong class name)",
}
FAMILY_STYLES = {"mix": "-", "noise": "-", "permute": "--"}
FAMILY_LABELS = {"mix": "", "noise": "re-drawn names", "permute": "permuted names"}


def _figure(width: float, height: float) -> Figure:
    with plt.rc_context(STYLE):
        return plt.figure(figsize=(width, height), layout="constrained")


def _student_colour(label: str, arms: Sequence[str]) -> str:
    """no KD grey, T_m blue, T_m + T_x(exact) vermillion, (relaxed) green, other arms the rest."""
    if label == "no KD":
        return GREY
    if label == "T_m -> S":
        return OKABE_ITO[0]
    arm = _label_arm(label)
    if arm in TEXT_COLOURS:
        return TEXT_COLOURS[arm]
    others = [a for a in arms if a not in TEXT_COLOURS]
    rest = [OKABE_ITO[i] for i in (1, 4, 5, 6, 7)]
    return rest[others.index(arm) % len(rest)] if arm in others else OKABE_ITO[7]


def _label_arm(label: str) -> str:
    """``relaxed`` of ``T_m + T_x(relaxed) -> S``; empty for other labels."""
    return label.split("T_x(", 1)[1].split(")", 1)[0] if "T_x(" in label else ""


def _zoom(ax: plt.Axes, low: np.ndarray, high: np.ndarray) -> None:
    """A y-range around the bars' values (bars of top-1 from 0 would hide differences of a point)."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    if not np.isfinite(low).any():
        return
    lo, hi = np.nanmin(low), np.nanmax(high)
    pad = max(1.0, 0.15 * (hi - lo))
    ax.set_ylim(max(0.0, lo - 3 * pad), hi + pad)


def main_figure(main_table: pd.DataFrame) -> Figure:
    """Top: per dataset of this run, the test top-1 of each student (bars, mean; error bars, std over
    seeds). Bottom: the gain of T_m + T_x over T_m -> S, the paper's (relaxed text; per setting and
    dataset, hatched) beside this run's for each T_x arm (error bars: the two students' stds combined)."""
    this = main_table[main_table["source"] == THIS_RUN]
    paper = main_table[main_table["source"] != THIS_RUN]
    datasets = list(dict.fromkeys(this["dataset"]))
    arms = list(dict.fromkeys(a for a in map(_label_arm, this["student"]) if a))
    gains = _gain_rows(this, paper)
    fig = _figure(max(7.5, 3.2 * len(datasets)), 3.4 + 0.22 * len(gains) + 0.6)
    layout = [datasets, ["gain"] * len(datasets)] if datasets else [["gain"]]
    axes = fig.subplot_mosaic(layout, height_ratios=[3.4, 0.22 * len(gains) + 0.6] if datasets else None)
    for dataset in datasets:
        ax, rows = axes[dataset], this[this["dataset"] == dataset]
        x = np.arange(len(rows))
        mean, std = rows["test_top1_mean"].to_numpy(float), rows["test_top1_std"].fillna(0).to_numpy(float)
        ax.bar(x, mean, yerr=std, capsize=3, color=[_student_colour(s, arms) for s in rows["student"]], edgecolor="black", lw=0.5)
        for xi, m in zip(x, mean):
            ax.annotate(f"{m:.1f}", (xi, m), textcoords="offset points", xytext=(0, 2), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, [s.replace(" -> S", "\n-> S") for s in rows["student"]], rotation=35, ha="right", fontsize=7)
        n = rows["n"].dropna()
        seeds = f"{int(n.min())}" if len(n) and n.min() == n.max() else (f"{int(n.min())}-{int(n.max())}" if len(n) else "?")
        ax.set(title=f"this run: {dataset} ({seeds} seeds)", ylabel="student test top-1 (%)")
        _zoom(ax, mean - std, mean + std)
    _gain_panel(axes["gain"], gains)
    fig.suptitle("Does a crossmodal teacher T_x help the student? (error bars: std over seeds)")
    return fig


def _gain_rows(this: pd.DataFrame, paper: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for source, group in paper.groupby("source", sort=False):
        setting = source.removeprefix("paper (").removesuffix(")")
        for _, r in group[group["student"] == "T_m + T_x(relaxed) -> S"].iterrows():
            rows.append({"label": f"{source} {r['dataset']}: T_x(relaxed)", "gain": r["gain_vs_Tm"], "err": 0.0,
                         "colour": SETTING_COLOURS.get(setting, GREY), "paper": True})
    arms = list(dict.fromkeys(a for a in map(_label_arm, this["student"]) if a))
    for dataset, group in this.groupby("dataset", sort=False):
        tm = group[group["student"] == "T_m -> S"]
        tm_std = float(tm["test_top1_std"].fillna(0).iloc[0]) if len(tm) else 0.0
        for _, r in group[group["student"].str.contains("T_x(", regex=False)].iterrows():
            if pd.isna(r["gain_vs_Tm"]):  # no T_m -> S student to compare with
                continue
            std = 0.0 if pd.isna(r["test_top1_std"]) else float(r["test_top1_std"])
            rows.append({"label": f"this run {dataset}: T_x({_label_arm(r['student'])})", "gain": r["gain_vs_Tm"],
                         "err": math.hypot(std, tm_std), "colour": _student_colour(r["student"], arms), "paper": False})
    return rows


def _gain_panel(ax: plt.Axes, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        ax.text(0.5, 0.5, "no T_m + T_x students or paper rows", ha="center", va="center", transform=ax.transAxes)
        return
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows):
        ax.barh(yi, r["gain"], xerr=r["err"] if not r["paper"] else None, capsize=3, color=r["colour"],
                hatch="//" if r["paper"] else None, edgecolor="black", lw=0.5)
    ax.set_yticks(y, [r["label"] for r in rows], fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="gain in student test top-1 over T_m -> S (points)",
           title="Gain of T_m + T_x over T_m: paper scale (hatched, published) vs this run (filled)")


def leakage_figure(leakage_table: pd.DataFrame) -> Figure:
    """T_x test top-1, T_x entropy (nats) and the student's test top-1 with exact class names vs
    WordNet-relaxed text: this run's datasets as bars (mean, std over seeds), then the paper's values as
    hollow markers, one slot per ``paper (<setting> <dataset>)``."""
    this = leakage_table[leakage_table["source"] == THIS_RUN]
    paper = leakage_table[leakage_table["source"] != THIS_RUN]
    datasets = list(dict.fromkeys(this["dataset"]))
    slots = list(dict.fromkeys(zip(paper["source"], paper["dataset"])))
    labels = [f"this run {d}" for d in datasets] + [f"{s.removesuffix(')')} {d})" for s, d in slots]
    panels = [("tx_top1", "T_x test top-1 (%)"), ("tx_entropy_nats", "T_x mean prediction entropy (nats)"),
              ("student_top1", "student T_m + T_x -> S test top-1 (%)")]
    fig = _figure(max(10.0, 1.2 * len(labels) * 3), 3.8)
    axes = fig.subplots(1, 3)
    offsets = {"exact": -0.2, "relaxed": 0.2}
    for ax, (measure, ylabel) in zip(axes, panels):
        for text, dx in offsets.items():
            rows = this[this["text"] == text].set_index("dataset").reindex(datasets)
            mean = rows[f"{measure}_mean"].to_numpy(float)
            std = rows[f"{measure}_std"].fillna(0).to_numpy(float)
            ok = np.isfinite(mean)
            ax.bar(np.arange(len(datasets))[ok] + dx, mean[ok], width=0.38, yerr=std[ok], capsize=3, color=TEXT_COLOURS[text],
                   edgecolor="black", lw=0.5, label=f"this run: {TEXT_LABELS[text]}")
            prow = paper[paper["text"] == text].set_index(["source", "dataset"]).reindex(slots)
            pmean = prow[f"{measure}_mean"].to_numpy(float) if len(slots) else np.array([])
            pok = np.isfinite(pmean)
            ax.scatter(len(datasets) + np.arange(len(slots))[pok] + dx, pmean[pok], marker="D", s=40, facecolors="none",
                       edgecolors=TEXT_COLOURS[text], linewidths=1.8, label=f"paper: {TEXT_LABELS[text]}", zorder=3, clip_on=False)
        if datasets and slots:
            ax.axvline(len(datasets) - 0.5, color="black", ls=":", lw=0.8)
        ax.set_xticks(np.arange(len(labels)), labels, fontsize=7, rotation=25, ha="right")
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.set_ylabel(ylabel)
        if measure == "student_top1" and not this["student_top1_mean"].notna().any():
            ax.text(0.25, 0.5, "no T_m + T_x\nstudents in this run", transform=ax.transAxes, ha="center", fontsize=7)
    axes[0].set_title("T_x accuracy (a leak: 100%)")
    axes[1].set_title("T_x entropy (lower: more certain)")
    axes[2].set_title("Student of T_m + T_x")
    handles, names = axes[0].get_legend_handles_labels()
    order = sorted(range(len(names)), key=lambda i: not names[i].startswith("this run"))  # this run first
    fig.legend([handles[i] for i in order], [names[i] for i in order], loc="outside lower center", ncol=4, fontsize=7)
    fig.suptitle("Exact class name vs WordNet-relaxed text: this run (bars, std over seeds) vs paper scale (hollow diamonds)")
    return fig


def sweep_figure(sweep_table: pd.DataFrame, axis: str) -> Figure:
    """Image share of T_x's Integrated-Gradients attribution, T_x test top-1 and student test top-1
    against ``axis`` (``relaxed_percent``: the mix sweep; ``noise_percent``: the noise sweep), one line per
    dataset (and corruption, on the noise axis), error bars the std over seeds."""
    if axis not in AXIS_LABELS:
        raise ValueError(f"unknown sweep axis {axis!r}; expected one of {list(AXIS_LABELS)}")
    panels = [("image_share", "image share of IG attribution\n(0: text only, 1: image only)"), ("tx_top1", "T_x test top-1 (%)"),
              ("student_top1", "student T_m + T_x -> S test top-1 (%)")]
    fig = _figure(12.0, 3.8)
    axes = fig.subplots(1, 3, sharex=True)
    datasets = list(dict.fromkeys(sweep_table["dataset"]))
    families = list(dict.fromkeys(sweep_table["family"]))
    for ax, (measure, ylabel) in zip(axes, panels):
        for (dataset, family), rows in sweep_table.groupby(["dataset", "family"], sort=False):
            rows = rows[rows[f"{measure}_mean"].notna()].sort_values(axis)
            if not len(rows):
                continue
            name = dataset if len(families) == 1 or not FAMILY_LABELS.get(family) else f"{dataset}, {FAMILY_LABELS[family]}"
            ax.errorbar(rows[axis], rows[f"{measure}_mean"], yerr=rows[f"{measure}_std"].fillna(0), capsize=3, marker="o", ms=4,
                        color=OKABE_ITO[datasets.index(dataset) % len(OKABE_ITO)], ls=FAMILY_STYLES.get(family, "-"), label=name)
        if measure == "image_share":
            ax.set_ylim(-0.02, 1.02)
        if not sweep_table[f"{measure}_mean"].notna().any():
            ax.text(0.5, 0.5, "no students trained on this sweep", transform=ax.transAxes, ha="center", fontsize=8)
        ax.set(xlabel=AXIS_LABELS[axis], ylabel=ylabel)
    axes[0].legend(fontsize=7)
    what = "exact vs relaxed text mix" if axis == "relaxed_percent" else "noisy class names"
    fig.suptitle(f"Sweep over {what}: this run (error bars: std over seeds)")
    return fig


def _show(ax: plt.Axes, image: np.ndarray) -> None:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    ax.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
    ax.set_axis_off()


def vocabulary_figure(clusters: Sequence[Mapping[str, Any]], max_rows: int = 16, max_images: int = 6) -> Figure:
    """One row per cluster of the selected vocabulary (the first ``max_rows``): up to ``max_images`` of its
    example images, then its nouns."""
    shown = list(clusters)[:max_rows]
    k = max([min(len(c["images"]), max_images) for c in shown] + [1])
    fig = _figure(0.9 * k + 5.5, 0.9 * max(len(shown), 1) + 0.5)
    grid = fig.add_gridspec(max(len(shown), 1), k + 1, width_ratios=[1] * k + [6])
    for i, cluster in enumerate(shown):
        images = list(cluster["images"])[:k]
        for j in range(k):
            ax = fig.add_subplot(grid[i, j])
            if j < len(images):
                _show(ax, images[j])
            else:
                ax.set_axis_off()
        ax = fig.add_subplot(grid[i, k])
        ax.set_axis_off()
        nouns = ", ".join(cluster["nouns"]) or "(no nouns)"
        text = textwrap.shorten(nouns, 330, placeholder=" ...")
        ax.text(0, 0.5, f"cluster {cluster['cluster']} (size {cluster['size']}):\n" + "\n".join(textwrap.wrap(text, 95)),
                va="center", ha="left", fontsize=7, transform=ax.transAxes)
    more = f" (first {max_rows} of {len(clusters)})" if len(clusters) > max_rows else ""
    fig.suptitle(f"Selected vocabulary per cluster{more}: example images and their nouns")
    return fig


def retrieval_figure(rows: Sequence[Mapping[str, Any]], columns: int = 3) -> Figure:
    """A grid of test images, each with its class and its five nearest vocabulary nouns by cosine
    similarity (noun and score)."""
    n = max(len(rows), 1)
    cols = min(columns, n)
    lines = math.ceil(n / cols)
    fig = _figure(3.6 * cols, 1.5 * lines + 0.4)
    grid = fig.add_gridspec(lines, 2 * cols, width_ratios=[1, 1.6] * cols)
    for i, row in enumerate(rows):
        r, c = divmod(i, cols)
        _show(fig.add_subplot(grid[r, 2 * c]), row["image"])
        ax = fig.add_subplot(grid[r, 2 * c + 1])
        ax.set_axis_off()
        ranked = [f"{k}. {noun} ({score:.3f})" for k, (noun, score) in enumerate(zip(row["nouns"][:5], row["scores"][:5]), 1)]
        ax.text(0, 0.5, f"class: {row['label']}\n" + "\n".join(ranked), va="center", ha="left", fontsize=7, transform=ax.transAxes)
    fig.suptitle("Example retrievals: each test image's top-5 vocabulary nouns (cosine similarity)")
    return fig


RETRIEVAL_BARS = [
    ("image -> text R@1", "i2t_r1", "chance_r1"), ("image -> text R@5", "i2t_r5", "chance_r5"),
    ("text -> image R@1", "t2i_r1", "chance_r1"), ("text -> image R@5", "t2i_r5", "chance_r5"),
    ("zero-shot top-1", "zero_shot_top1", "chance_top1"),
]


def clip_figure(metrics: pd.DataFrame, retrieval: Mapping[str, float]) -> Figure:
    """Left: the compact CLIP's pretraining curve (contrastive loss; zero-shot top-1 on train and val per
    epoch). Right: recall@1/5 of held-out image-text retrieval both ways and zero-shot top-1, each beside
    chance. Values are in % (given as fractions, all at most 1, they are scaled to %)."""
    fig = _figure(11.0, 3.8)
    left, right = fig.subplots(1, 2)
    left.plot(metrics["epoch"], metrics["train_clip"], color=OKABE_ITO[0], marker="o", ms=3, label="train contrastive loss")
    left.set(xlabel="epoch", ylabel="contrastive (CLIP) loss", title="Pretraining")
    twin = left.twinx()
    twin.plot(metrics["epoch"], metrics["val_top1"], color=OKABE_ITO[1], marker="s", ms=3, label="zero-shot val top-1")
    if "train_top1" in metrics:
        twin.plot(metrics["epoch"], metrics["train_top1"], color=OKABE_ITO[1], ls="--", label="zero-shot train top-1")
    twin.set_ylabel("zero-shot top-1 (%)")
    twin.grid(False)
    handles = [*left.get_legend_handles_labels()[0], *twin.get_legend_handles_labels()[0]]
    left.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3)
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    values = [(float(retrieval[k]), float(retrieval[c])) for _, k, c in RETRIEVAL_BARS]
    scale = 100.0 if all(v <= 1 for pair in values for v in pair) else 1.0
    x = np.arange(len(values))
    measured = np.array([v for v, _ in values]) * scale
    chance = np.array([c for _, c in values]) * scale
    right.bar(x - 0.2, measured, width=0.38, color=OKABE_ITO[2], edgecolor="black", lw=0.5, label="compact CLIP (this run)")
    right.bar(x + 0.2, chance, width=0.38, color=GREY, edgecolor="black", lw=0.5, label="chance")
    for xi, m, c in zip(x, measured, chance):
        right.annotate(f"{m:.1f}", (xi - 0.2, m), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=7)
        right.annotate(f"{c:.1f}", (xi + 0.2, c), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=7)
    right.set_xticks(x, [name for name, _, _ in RETRIEVAL_BARS], rotation=20, ha="right", fontsize=7)
    pairs = retrieval.get("n_pairs")
    right.set(ylabel="%", title=f"Held-out retrieval ({int(pairs)} image-text pairs) and zero-shot" if pairs else "Held-out retrieval and zero-shot")
    right.legend(fontsize=7)
    fig.suptitle("The compact CLIP trained by the workflow: pretraining and held-out evaluation against chance")
    return fig


def figure(name: str, table: pd.DataFrame) -> Figure:
    """The figure of the xkd table called ``name`` (main, leakage, mix_sweep, noise_sweep), from the table
    as :func:`kdgen.xkd.tables.build` makes it (or as read back from its CSV)."""
    if name == "main":
        return main_figure(table)
    if name == "leakage":
        return leakage_figure(table)
    if name in ("mix_sweep", "noise_sweep"):
        return sweep_figure(table, "relaxed_percent" if name == "mix_sweep" else "noise_percent")
    raise ValueError(f"unknown xkd figure {name!r}; expected main, leakage, mix_sweep or noise_sweep")
