"""gmaug's claims on the scorecard (Guo et al., arXiv 2303.04854), checked on this run's classifiers.

The gain of a dataset is the relative top-1 improvement of the re-balanced classifier over the original
one of the same seed, under the published accuracy protocol (mean validation top-1 of the last epochs),
against the dataset's SSIM-supSubCls under the published-protocol guess (``ssim_paper``). One row per
generator. A re-balanced run that added no generated image (every candidate rejected, e.g. a
mode-collapsed cGAN) measures no re-balancing: it is left out and counted, never taken as a gain of 0.

- **G1** the gain is related to SSIM-supSubCls: Spearman's rho over datasets < 0. A rank correlation
  over fewer than 5 units cannot exclude 0 at 95% (:func:`kdgen.scorecard.rank_correlation_min_units`).
- **G2** it decays (exponentially) with SSIM-supSubCls: the mean gain of the datasets below the median
  SSIM-supSubCls minus those above it > 0. The least-squares fit of gain = A exp(-k x) (A, k, R^2) is
  reported beside it, not voted on: a point fit over a handful of datasets has no interval.

G1's interval resamples the datasets and the seeds within each; G2's keeps the datasets (the median
split needs them all) and resamples their seeds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from kdgen.gmaug.fits import fit_gain
from kdgen.scorecard import (
    Cells, Claim, Finding, Settings, as_cells, bootstrap, rank_correlation_min_units,
    sign_verdict,
)  # fmt: skip

STUDY = "gmaug"
CLAIMS = (
    Claim("G1", STUDY, "The top-1 gain of generative re-balancing is related to SSIM-supSubCls.",
          "Spearman's rho over datasets of gain (%) and SSIM-supSubCls", "datasets (seeds resampled within)",
          "holds when the interval lies below 0, with at least 5 datasets"),
    Claim("G2", STUDY, "The gain decays exponentially with SSIM-supSubCls.",
          "mean gain (%) of datasets below the median SSIM-supSubCls minus those above", "datasets (fixed; seeds resampled within)",
          "holds when the interval lies above 0 (the fit gain = A exp(-k x) and its R^2 reported beside)"),
)  # fmt: skip
_BY_ID = {c.id: c for c in CLAIMS}
GAIN = "gain_paper"


def _rho(x: np.ndarray, gain: np.ndarray) -> float:
    if x.size < 3 or np.unique(x).size < 2 or np.unique(gain).size < 2:
        return math.nan
    return float(spearmanr(x, gain).statistic)


def _low_minus_high(x: np.ndarray, gain: np.ndarray) -> float:
    """Mean gain of the datasets below the median SSIM-supSubCls minus the mean of those above it."""
    median = float(np.median(x))
    low, high = gain[x < median], gain[x > median]
    if not low.size or not high.size:
        return math.nan
    return float(low.mean() - high.mean())


def paper_values(paper: pd.DataFrame) -> dict[str, float]:
    """G1's rho and G2's low-minus-high difference of the published cGAN points."""
    x, gain = paper["ssim_supsubcls"].to_numpy(float), paper["rel_improvement_pct_cgan"].to_numpy(float)
    return {"G1": _rho(x, gain), "G2": _low_minus_high(x, gain)}


def _points(datasets: list[Cells]) -> tuple[np.ndarray, np.ndarray]:
    """Each dataset's SSIM-supSubCls and its mean gain over seeds."""
    return np.array([d.keys[0] for d in datasets], dtype=float), np.array([d.means()[0] for d in datasets], dtype=float)


def _over_datasets(per_datasets):
    """A statistic of (SSIM-supSubCls, mean gain) over a list of datasets (one drawn twice counts twice)."""

    def statistic(datasets: list[Cells]) -> float:
        return per_datasets(*_points(datasets))

    return statistic


def findings(frames: Mapping[str, pd.DataFrame], params: Mapping[str, Any], settings: Settings) -> list[Finding]:
    """G1 and G2 per generator from ``runs`` (one row per dataset, generator, arm and seed with its gain)
    and ``gain`` (SSIM-supSubCls per dataset); ``params['arm']`` is the re-balancing step scored."""
    runs, gain = frames["runs"], frames["gain"]
    published = paper_values(frames["paper"])
    ssim = dict(zip(gain["dataset"], gain["ssim_paper"]))
    rebalanced = runs[(runs["arm"] == params["arm"])].assign(ssim=lambda f: f["dataset"].map(ssim))
    out = []
    for generator, g in rebalanced.groupby("generator", sort=False):
        empty = g["generated"].fillna(0) <= 0
        kept = g[~empty]
        note = f"; {int(empty.sum())} run(s) left out: no generated image kept" if empty.any() else ""
        datasets = as_cells(kept, ["dataset"], "ssim", GAIN)

        iv = bootstrap(datasets, _over_datasets(_rho), settings, settings.rng("G1", generator), Cells.resampled)
        verdict, why = sign_verdict(iv, -1, "datasets", min_units=rank_correlation_min_units(settings.confidence))
        out.append(Finding(_BY_ID["G1"], verdict, why + note, iv, variant=generator, published=published["G1"]))

        # The median split needs every dataset: they stay, their seeds are resampled.
        iv = bootstrap(datasets, _over_datasets(_low_minus_high), settings, settings.rng("G2", generator), Cells.resampled, outer=False)
        verdict, why = sign_verdict(iv, +1, "datasets", min_units=4)
        try:
            fit = fit_gain(*_points(datasets))
            why += f"; fit gain = A exp(-k x): A = {fit.A:.3g}, k = {fit.k:.3g}, R^2 = {fit.r2_corr:.2f} (squared Pearson)"
        except ValueError as err:
            why += f"; no fit: {err}"
        out.append(Finding(_BY_ID["G2"], verdict, why + note, iv, variant=generator, published=published["G2"]))
    return out
