"""Dataset card figures: a per-class sample grid and a class-count histogram."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from kdgen.data.store import ClassInfo
from kdgen.plots.style import new_figure


def sample_mosaic(images: np.ndarray, labels: np.ndarray, classes: Sequence[int], per_class: int, seed: int) -> np.ndarray:
    """RGB mosaic (rows = ``classes``, ``per_class`` random images each; blank where a class has fewer)."""
    rng = np.random.default_rng(seed)
    n, h, w, c = images.shape
    mosaic = np.full((len(classes) * h, per_class * w, 3), 255, dtype=np.uint8)
    for row, cls in enumerate(classes):
        members = np.flatnonzero(labels == cls)
        pick = rng.choice(members, size=min(per_class, len(members)), replace=False)
        for col, idx in enumerate(pick):
            mosaic[row * h : (row + 1) * h, col * w : (col + 1) * w] = images[idx] if c == 3 else images[idx].repeat(3, -1)
    return mosaic


def sample_grid_figure(
    images: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[ClassInfo],
    per_class: int,
    max_classes: int,
    seed: int,
    title: str = "",
) -> Figure:
    """A grid of random images, one row per class, labelled with class and super-class names."""
    shown = list(range(min(len(classes), max_classes)))
    mosaic = sample_mosaic(images, labels, shown, per_class, seed)
    h = images.shape[1]
    fig, ax = new_figure(1.0 + 0.55 * per_class + 1.2, 0.6 + 0.55 * len(shown))
    ax.imshow(mosaic, interpolation="nearest")
    ax.set_yticks([(r + 0.5) * h for r in range(len(shown))])
    ax.set_yticklabels(
        [f"{classes[i].name}\n({classes[i].superclass})" if classes[i].superclass else classes[i].name for i in shown],
        fontsize=8,
    )
    ax.set_xticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    more = f" (first {len(shown)} of {len(classes)} classes)" if len(shown) < len(classes) else ""
    ax.set_title(f"{title}: training samples{more}")
    return fig


def class_count_figure(counts: Mapping[str, np.ndarray], class_names: Sequence[str], title: str = "") -> Figure:
    """Images per class for each named count vector, grouped bars in class order, log scale."""
    num = len(class_names)
    fig, ax = new_figure(min(2.0 + 0.28 * num * max(len(counts), 1), 14.0), 3.4)
    width = 0.8 / max(len(counts), 1)
    x = np.arange(num)
    for k, (name, values) in enumerate(counts.items()):
        ax.bar(x + (k - (len(counts) - 1) / 2) * width, np.maximum(values, 0.8), width, label=f"{name} (n={int(values.sum())})")
    ax.set_yscale("log")
    ax.set_ylabel("images per class")
    if num <= 40:
        ax.set_xticks(x)
        ax.set_xticklabels(class_names, rotation=45, ha="right")
    else:
        ax.set_xlabel("class index")
    ax.legend(loc="upper right")
    ax.set_title(f"{title}: class counts")
    return fig
