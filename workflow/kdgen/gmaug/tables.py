"""The gmaug tables, without torch: per-run accuracies under both protocols, the gain of every re-balanced
classifier over the original one of the same seed, SSIM-supSubCls per dataset, and the fits of gain on it.

Protocols: ``paper`` is the published accuracy, the mean validation top-1 over the last ``last_epochs``
epochs; ``ours`` is the test top-1 of the checkpoint with the best validation top-1. Gain = (acc_aug -
acc_orig) / acc_orig x 100 per seed (re-balanced seed s against original seed s), then mean and sample
std over seeds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from kdgen.gmaug.fits import fit_gain
from kdgen.tables import mean_std

PROTOCOLS = ("paper", "ours")


def run_accuracies(metrics: pd.DataFrame, test: Mapping[str, Any], last_epochs: int) -> dict[str, float]:
    """``acc_paper`` (mean val top-1 of the last epochs) and ``acc_ours`` (test top-1 at the best val epoch)."""
    return {"acc_paper": float(metrics["val_top1"].tail(last_epochs).mean()), "acc_ours": float(test["top1"])}


def ssim_summary(ssim: pd.DataFrame) -> dict[str, float]:
    """SSIM-supSubCls of a dataset under each protocol (the ``max`` rows of its ssim.csv)."""
    rows = ssim[ssim["superclass"] == "max"]
    return {f"ssim_{r.protocol}": float(r["mean"]) for _, r in rows.iterrows()}


def run_frame(runs: Sequence[Mapping[str, Any]], metrics: Sequence[str], tests: Sequence[str], classes: Mapping[int, str], last_epochs: int) -> pd.DataFrame:
    """One row per run (dataset, generator, arm, seed) with both accuracies and, for re-balanced runs, the
    counts of its training set (``classes[i]``: the classes.csv of run i)."""
    rows = []
    for i, (run, m, t) in enumerate(zip(runs, metrics, tests)):
        row = {**run, **run_accuracies(pd.read_csv(m), json.loads(Path(t).read_text()), last_epochs)}
        if i in classes:
            c = pd.read_csv(classes[i])
            row.update(real=int(c["real"].sum()), generated=int(c["kept"].sum()), candidates=int(c["candidates"].sum()))
            row["accepted"] = int(c["accepted"].sum()) if "accepted" in c else np.nan
            row["acceptance"] = row["accepted"] / row["candidates"] if "accepted" in c and row["candidates"] else np.nan
            row["short_classes"] = int((c["final"] < c["target"]).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def seed_gains(frame: pd.DataFrame) -> pd.DataFrame:
    """The re-balanced runs of :func:`run_frame`, each with the accuracy of the original classifier of its
    dataset and seed (``orig_<protocol>``) and its relative gain over it in % (``gain_<protocol>``)."""
    orig = frame[frame["arm"] == "original"].set_index(["dataset", "seed"])
    aug = frame[frame["arm"] != "original"].copy()
    for p in PROTOCOLS:
        base = orig.loc[list(zip(aug["dataset"], aug["seed"])), f"acc_{p}"].to_numpy()
        aug[f"orig_{p}"] = base
        aug[f"gain_{p}"] = (aug[f"acc_{p}"].to_numpy() - base) / base * 100.0
    return aug


def gain_table(frame: pd.DataFrame, ssim: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Per dataset, generator and arm: SSIM-supSubCls (both protocols), the original's and the re-balanced
    classifier's accuracies and the gain under both accuracy protocols, counts and acceptance; mean and
    std over seeds."""
    aug = seed_gains(frame)
    columns = [c for p in PROTOCOLS for c in (f"orig_{p}", f"acc_{p}", f"gain_{p}")]
    columns += ["real", "generated", "acceptance", "short_classes"]
    table = mean_std(aug, ["dataset", "generator", "arm"], columns)
    table = table.drop(columns=[c for c in ("real_std", "short_classes_std") if c in table])
    for key in ("paper", "config"):
        table.insert(1, f"ssim_{key}", [ssim[d].get(f"ssim_{key}", np.nan) for d in table["dataset"]])
    return table


def fit_table(gain: pd.DataFrame, x_columns: Sequence[str] = ("ssim_paper", "ssim_config")) -> pd.DataFrame:
    """Per generator, arm, SSIM protocol and accuracy protocol: gain = A exp(-k x) fitted over the datasets
    (mean gains), both R^2, the published form (b, c), and Spearman's rho of gain with SSIM-supSubCls."""
    rows = []
    for (gen, arm), g in gain.groupby(["generator", "arm"], sort=False):
        for xc in x_columns:
            for p in PROTOCOLS:
                x, y = g[xc].to_numpy(float), g[f"gain_{p}"].to_numpy(float)
                ok = np.isfinite(x) & np.isfinite(y)
                row: dict[str, Any] = {"generator": gen, "arm": arm, "ssim": xc.removeprefix("ssim_"), "accuracy": p, "n_points": int(ok.sum())}
                rho = spearmanr(x[ok], y[ok]).statistic if ok.sum() >= 3 else np.nan
                row["spearman_rho"] = float(rho)
                try:
                    row.update({k: v for k, v in fit_gain(x[ok], y[ok]).as_dict().items() if k != "n_points"})
                except ValueError as err:
                    row["note"] = str(err)
                rows.append(row)
    return pd.DataFrame(rows)


def ssim_table(frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Every dataset's ssim.csv, one after another."""
    return pd.concat([f.assign(dataset=d)[["dataset", *f.columns]] for d, f in frames.items()], ignore_index=True)
