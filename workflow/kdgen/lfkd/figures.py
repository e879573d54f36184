"""Figures of the lfkd study: teacher IoU vs augmentation strength, overfitting vs IoU, fidelity and MI
vs top-1, and attention-map grids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from kdgen.lfkd.tables import strength_order
from kdgen.tables import mean_std
from kdgen.plots.style import STYLE

METHOD_LABELS = {"cam_sum": "CAM summed over classes (paper)", "cam_pred": "CAM of the predicted class", "gradcam": "Grad-CAM (predicted class)"}
MARKERS = {"cam_sum": "o", "cam_pred": "s", "gradcam": "^"}


def _panels(n: int, width: float, height: float, rows: int = 1) -> tuple[Figure, np.ndarray]:
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(rows, n, figsize=(width * n, height * rows), layout="constrained", squeeze=False)
    return fig, axes


def iou_vs_strength_figure(teachers: pd.DataFrame, pairs: pd.DataFrame, methods: Sequence[str]) -> Figure:
    """Per dataset: the IoU of two teachers of one augmentation (mean and std over pairs of seeds) against
    the augmentation's Affinity (lower Affinity: stronger augmentation), one series per attention method."""
    datasets = list(dict.fromkeys(teachers["dataset"]))
    fig, axes = _panels(len(datasets), 4.2, 3.4)
    affinity = {(d, a): v for d, a, v in teachers[["dataset", "aug", "affinity"]].itertuples(index=False)}
    ious = mean_std(pairs, ["dataset", "aug"], [f"iou_{m}" for m in methods])
    for ax, dataset in zip(axes[0], datasets):
        mine = ious[ious["dataset"] == dataset].copy()
        mine["affinity"] = [affinity[dataset, a] for a in mine["aug"]]
        mine = mine.iloc[sorted(range(len(mine)), key=lambda i: strength_order(mine["aug"].iloc[i]))]
        for i, method in enumerate(methods):
            ax.errorbar(
                mine["affinity"], mine[f"iou_{method}"], yerr=mine[f"iou_{method}_std"].fillna(0), marker=MARKERS[method],
                ls="none", capsize=3, label=METHOD_LABELS[method], lw=1.6 if i == 0 else 1, alpha=1 if i == 0 else 0.7,
            )
        for _, row in mine.iterrows():
            ax.annotate(row["aug"], (row["affinity"], row[f"iou_{methods[0]}"]), textcoords="offset points", xytext=(4, 4), fontsize=7)
        ax.set(title=dataset, xlabel="Affinity of the teachers' augmentation (lower = stronger)", ylabel="IoU(T1, T2) of attention masks")
        ax.invert_xaxis()
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Do stronger augmentations make teachers attend to different regions? (error bars: std over teacher pairs)")
    return fig


def _config_colours(configs: Sequence[str]) -> dict[str, tuple[float, ...]]:
    cmap = plt.get_cmap("tab10")
    return {c: cmap(i % 10) for i, c in enumerate(configs)}


def overfitting_vs_iou_figure(students: pd.DataFrame, method: str) -> Figure:
    """Per dataset, one point per distilled student: its overfitting gap (clean train top-1 minus val
    top-1, filled; the published augmented gap, hollow) against the IoU of its teachers' masks."""
    kd = students[students["kind"] == "kd"]
    datasets = list(dict.fromkeys(students["dataset"]))
    fig, axes = _panels(len(datasets), 4.2, 3.4)
    colours = _config_colours(list(dict.fromkeys(kd["config"])))
    for ax, dataset in zip(axes[0], datasets):
        mine = kd[kd["dataset"] == dataset]
        for config, group in mine.groupby("config", sort=False):
            x = group[f"iou_tt_{method}"]
            ax.scatter(x, group["overfit_clean"], color=colours[config], label=f"{config} (clean)")
            ax.scatter(x, group["overfit_aug"], facecolors="none", edgecolors=colours[config], label=f"{config} (augmented)")
        base = students[(students["dataset"] == dataset) & (students["kind"] == "none")]
        for _, row in base.groupby("config").mean(numeric_only=True).iterrows():
            ax.axhline(row["overfit_clean"], color="grey", ls="--", lw=1)
        ax.set(title=dataset, xlabel=f"IoU(T1, T2), {METHOD_LABELS[method]}", ylabel="overfitting gap (train - val top-1, points)")
    axes[0, 0].legend(fontsize=6, ncol=1)
    fig.suptitle("Overfitting of the student vs its teachers' attention overlap (dashed: no-KD student, clean gap)")
    return fig


def fidelity_vs_top1_figure(students: pd.DataFrame) -> Figure:
    """One point per distilled student: its fidelity (top-1 agreement with the teachers' mean logits) and
    the mutual information of its and the teachers' predictions against its own top-1, per dataset."""
    kd = students[students["kind"] == "kd"]
    datasets = list(dict.fromkeys(students["dataset"]))
    fig, axes = _panels(len(datasets), 4.0, 3.0, rows=2)
    colours = _config_colours(list(dict.fromkeys(kd["config"])))
    for j, dataset in enumerate(datasets):
        mine = kd[kd["dataset"] == dataset]
        for config, group in mine.groupby("config", sort=False):
            axes[0, j].scatter(group["top1"], group["fidelity"], color=colours[config], label=config)
            axes[1, j].scatter(group["top1"], group["mi"], color=colours[config], label=config)
        axes[0, j].set(title=dataset, ylabel="fidelity (% agreement with teachers)")
        axes[1, j].set(xlabel="student top-1 (%)", ylabel="MI(teacher, student) top-1 (nats)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Fidelity and mutual information vs student accuracy")
    return fig


def attention_grid_figure(arrays: Mapping[str, np.ndarray], columns: Sequence[tuple[str, str]], method: str, threshold: float) -> Figure:
    """One row per image: the image, then the attention map of each model of ``columns`` (label, array
    prefix) on it, with the outline of its mask (map > ``threshold``)."""
    images = arrays["images"]
    fig, axes = _panels(len(columns) + 1, 1.05, 1.1, rows=len(images))
    for i in range(len(images)):
        img = images[i].transpose(1, 2, 0)
        grey = img.shape[2] == 1 or bool((img == img[..., :1]).all())
        axes[i, 0].imshow(img[..., 0] if grey else img, cmap="gray" if grey else None)
        for j, (label, prefix) in enumerate(columns, 1):
            heat = arrays[f"{prefix}/{method}"][i].astype(np.float32)
            axes[i, j].imshow(heat, cmap="inferno", vmin=0, vmax=1)
            axes[i, j].contour(heat, levels=[threshold], colors="cyan", linewidths=0.6)
            if i == 0:
                axes[i, j].set_title(label.replace(" ", "\n", 1), fontsize=6)
    axes[0, 0].set_title("image", fontsize=6)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    fig.suptitle(f"{METHOD_LABELS[method]}, mask outline at {threshold:g}", fontsize=8)
    return fig
