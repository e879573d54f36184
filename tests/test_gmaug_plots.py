"""The gmaug figures draw from small synthetic tables and images, gaps included (a NaN std, a fit without A,
an empty rejected group, a generator without a filter mask), and save as PNG and PDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kdgen.gmaug import figures as gmaug
from kdgen.plots.style import save_figure

RNG = np.random.default_rng(0)
DATASETS = {"sib00": 0.08, "sib30": 0.17, "sib60": 0.26, "sib90": 0.38}
CLASSES = ["triangle", "square", "pentagon", "hexagon"]


def _saved(fig, tmp_path: Path, name: str) -> None:
    png, pdf = tmp_path / f"{name}.png", tmp_path / f"{name}.pdf"
    save_figure(fig, png, pdf)
    assert png.stat().st_size > 1000 and pdf.stat().st_size > 1000, name


def _gain() -> pd.DataFrame:
    rows = []
    for i, (dataset, x) in enumerate(DATASETS.items()):
        for g, scale in (("cgan", 40.0), ("diffusion", 20.0)):
            for arm in ("step1", "no_filter", "random"):
                gain = scale * np.exp(-5 * x) + RNG.normal(0, 1) - (3 if arm != "step1" else 0)
                rows.append(
                    {
                        "dataset": dataset,
                        "ssim_config": x,
                        "ssim_paper": x + 0.01,
                        "generator": g,
                        "arm": arm,
                        "n": 2,
                        "gain_paper": gain,
                        "gain_paper_std": np.nan if i == 0 else 1.5,
                        "gain_ours": gain,
                        "gain_ours_std": 1.0,
                    }
                )
    return pd.DataFrame(rows)


def _fit() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "generator": "cgan",
                "arm": "step1",
                "ssim": "config",
                "accuracy": "paper",
                "n_points": 4,
                "spearman_rho": -1.0,
                "A": 40.0,
                "k": 5.0,
                "r2_corr": 0.95,
                "r2_det": 0.94,
            },
            {
                "generator": "diffusion",
                "arm": "step1",
                "ssim": "config",
                "accuracy": "paper",
                "n_points": 4,
                "spearman_rho": np.nan,
                "A": np.nan,
                "k": np.nan,
                "r2_corr": np.nan,
                "r2_det": np.nan,
                "note": "did not converge",
            },
        ]
    )


def _paper() -> tuple[pd.DataFrame, pd.DataFrame]:
    paper = pd.DataFrame(
        {
            "dataset": ["UTKFace", "Flowers", "Fungi", "Amphibians"],
            "ssim_supsubcls": [0.38, 0.17, 0.09, 0.08],
            "rel_improvement_pct_cgan": [2.4, 24.7, 50.0, 83.4],
        }
    )
    fit = pd.DataFrame(
        [
            {"fit": "re-fit (least squares)", "A": 300.0, "k": 15.0, "r2_corr": 0.87, "r2_det": 0.85, "n_points": 4},
            {
                "fit": "published",
                "A": 140.0,
                "k": 12.5,
                "r2_corr": 0.80,
                "r2_det": 0.78,
                "n_points": 4,
                "r2_published": 0.8749,
            },
        ]
    )
    return paper, fit


def test_gain_and_paper_fit_figures(tmp_path: Path) -> None:
    paper, paper_fit = _paper()
    _saved(gmaug.gain_figure(_gain(), _fit(), paper, paper_fit), tmp_path, "gain")
    _saved(gmaug.gain_figure(_gain().iloc[:0], _fit().iloc[:0], paper, paper_fit), tmp_path, "gain_empty")
    _saved(gmaug.paper_fit_figure(paper, paper_fit), tmp_path, "paper_fit")


def test_samples_figure(tmp_path: Path) -> None:
    labels = np.repeat(np.arange(len(CLASSES)), [12, 6, 3, 1])
    real = RNG.integers(0, 256, (len(labels), 16, 16, 3), dtype=np.uint8)
    intended = np.repeat(np.arange(len(CLASSES)), [0, 8, 12, 14])
    candidates = RNG.integers(0, 256, (len(intended), 16, 16, 3), dtype=np.uint8)
    all_kept = np.ones(len(intended), bool)  # the rejected group is empty
    some = RNG.random(len(intended)) < 0.5
    generators = [
        ("cgan", candidates, intended, all_kept),
        ("diffusion", candidates, intended, some),
        ("external", candidates[:, :, :, :1], intended, None),
    ]
    fig = gmaug.samples_figure(real, labels, CLASSES, generators, per_class=4, seed=1)
    _saved(fig, tmp_path, "samples")


def _metrics(epochs: int, top: float, seed: int) -> pd.DataFrame:
    e = np.arange(1, epochs + 1)
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "epoch": e,
            "val_top1": top * (1 - np.exp(-e / 3)) + rng.normal(0, 1, epochs),
            "train_ce": 2 * np.exp(-e / 4),
            "train_loss": 2 * np.exp(-e / 4),
            "train_top1": 90 * (1 - np.exp(-e / 3)),
            "val_loss": 2 * np.exp(-e / 5),
        }
    )


def test_learning_curves_figure(tmp_path: Path) -> None:
    runs, metrics = [], []
    for seed in (0, 1):
        runs.append({"generator": "", "arm": "original", "seed": seed})
        metrics.append(_metrics(10, 50, seed))
        for g in ("cgan", "diffusion"):
            for arm, top in (("step1", 60), ("no_filter", 55), ("random", 52)):
                runs.append({"generator": g, "arm": arm, "seed": seed})
                metrics.append(_metrics(10, top, seed + 7))
    _saved(gmaug.learning_curves_figure(runs, metrics), tmp_path, "learning_curves")
    _saved(gmaug.learning_curves_figure(runs[:1], metrics[:1]), tmp_path, "learning_curves_original")


@pytest.mark.parametrize("with_acceptance", [True, False])
def test_class_counts_figure(tmp_path: Path, with_acceptance: bool) -> None:
    real = np.array([40, 20, 8, 2])
    table = pd.DataFrame(
        {
            "class": CLASSES,
            "real": real,
            "target": 40,
            "candidates": [0, 40, 64, 76],
            "accepted": [0, 30, 40, 10],
            "acceptance": [np.nan, 0.75, 0.625, 0.13],
            "kept": [0, 20, 32, 10],
        }
    )
    table["final"] = table["real"] + table["kept"]
    if not with_acceptance:
        table = table.drop(columns=["accepted", "acceptance"])
    fig = gmaug.class_counts_figure([("cgan", table), ("diffusion", table.assign(kept=table["kept"] // 2))])
    _saved(fig, tmp_path, f"class_counts_{with_acceptance}")
