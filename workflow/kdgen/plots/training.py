"""Training figures."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from kdgen.plots.style import STYLE

import matplotlib.pyplot as plt


def learning_curve_figure(metrics: pd.DataFrame, title: str = "") -> Figure:
    """Loss and top-1 per epoch, train (augmented) vs validation; the best validation epoch marked."""
    with plt.rc_context(STYLE):
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8.0, 3.2), layout="constrained")
    epoch = metrics["epoch"]
    ax_loss.plot(epoch, metrics["train_loss"], "o-", ms=3, label="train (augmented)")
    ax_loss.plot(epoch, metrics["val_loss"], "s-", ms=3, label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_acc.plot(epoch, metrics["train_top1"], "o-", ms=3, label="train (augmented)")
    ax_acc.plot(epoch, metrics["val_top1"], "s-", ms=3, label="validation")
    best = metrics["val_top1"].idxmax()
    ax_acc.plot(epoch[best], metrics["val_top1"][best], "*", ms=12, color="black", label=f"best val {metrics['val_top1'][best]:.1f}%")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("top-1 (%)")
    ax_acc.legend(loc="lower right")
    ax_loss.legend(loc="upper right")
    fig.suptitle(title)
    return fig
