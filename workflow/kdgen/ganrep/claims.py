"""ganrep's claims on the scorecard (Feng et al., ICCV 2021), checked on this run's own tables.

- **R1** replication % decays with dataset size: per GAN x dataset curve, Spearman's rho between size
  and the seed-mean replication % at the main alpha; the mean over curves should be negative (a curve
  that never replicates has no rho and is left out). Unit: the curves, and the seeds inside each cell
  (two-level bootstrap).
- **R2** ... with one shared decay factor across GAN x dataset curves: the sample std of the fitted
  a of R = a^(b x - c) over the non-degenerate curves should be no larger than the spread of a over the
  paper's own curves re-fitted the same way (the threshold, published). Unit: the curves.
- **R3** FID is an inverted U in size (perceptual quality a U): per curve, the worst seed-mean FID at an
  intermediate size minus the worse of the two end sizes; the mean over curves should be positive.
  Unit: the curves and the seeds inside each cell.
- **R4** a one-shot estimate from the smallest-ID point predicts the held-out curve: the mean over
  curves of the leave-one-out prediction's R^2 (1 - SS_res/SS_tot against the held-out points) should
  be at least 0.5 (the prediction explains at least half of the held-out curve's variance). Unit: the
  held-out curves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from kdgen.scorecard import Cells, Claim, Finding, Settings, as_cells, bootstrap, mean_interval, sign_verdict, threshold_verdict

STUDY = "ganrep"
R4_THRESHOLD = 0.5
CLAIMS = (
    Claim("R1", STUDY, "Replication % decays exponentially with dataset size (per GAN and dataset).",
          "mean over GAN x dataset curves of Spearman's rho(size, replication %)", "curves (seeds resampled within)",
          "holds when the interval lies below 0"),
    Claim("R2", STUDY, "... and with dataset complexity (intrinsic dimension), with a shared decay factor across GAN-dataset combinations.",
          "std over curves of the fitted decay factor a", "curves",
          "holds when the interval lies at or below the spread of a over the paper's re-fitted curves"),
    Claim("R3", STUDY, "Perceptual quality (FID) follows a U-shape in dataset size.",
          "mean over curves of (worst intermediate-size FID - worse end-size FID)", "curves (seeds resampled within)",
          "holds when the interval lies above 0 (FID worst in the middle)"),
    Claim("R4", STUDY, "A one-shot estimate from one point predicts the minimal dataset size (the held-out curve's R^2).",
          "mean over held-out curves of the one-shot prediction's R^2 (1 - SS_res/SS_tot)", "held-out curves",
          f"holds when the interval lies at or above {R4_THRESHOLD}"),
)  # fmt: skip
_BY_ID = {c.id: c for c in CLAIMS}
CURVE = ["generator", "dataset"]


def _rho(sizes: np.ndarray, means: np.ndarray) -> float:
    """Spearman's rho between sizes and mean replication % (NaN for a flat curve)."""
    ok = np.isfinite(means)
    if ok.sum() < 2 or np.unique(means[ok]).size < 2:
        return math.nan
    return float(spearmanr(sizes[ok], means[ok]).statistic)


def _hump(means: np.ndarray) -> float:
    """Worst (largest) mean FID at an intermediate size minus the larger of the two end sizes' FIDs."""
    if means.size < 3 or not np.all(np.isfinite(means)):
        return math.nan
    return float(means[1:-1].max() - max(means[0], means[-1]))


def size_rho(curve: Cells) -> float:
    return _rho(curve.keys.astype(float), curve.means())


def fid_hump(curve: Cells) -> float:
    return _hump(curve.means())


def _mean_over_curves(per_curve):
    """Mean of ``per_curve`` over the curves that have a value."""

    def statistic(curves: list[Cells]) -> float:
        values = [v for v in (per_curve(c) for c in curves) if math.isfinite(v)]
        return float(np.mean(values)) if values else math.nan

    return statistic


def paper_values(paper: pd.DataFrame, paper_fits: pd.DataFrame, alpha: int = 8000) -> dict[str, float]:
    """The published side: R1's mean rho over the paper's curves, R2's spread of a over its re-fitted
    curves, R3's mean FID hump over its curves with FID."""
    paper = paper.rename(columns={"gan": "generator"})
    rhos = [size_rho(c) for c in as_cells(paper[paper["in_main_fit"] == "yes"], CURVE, "size", f"rep_pct_alpha{alpha}")]
    humps = [fid_hump(c) for c in as_cells(paper.dropna(subset=["fid"]), CURVE, "size", "fid")]
    finite = lambda xs: [x for x in xs if math.isfinite(x)]
    return {
        "R1": float(np.mean(finite(rhos))) if finite(rhos) else math.nan,
        "R2": float(paper_fits["a"].std(ddof=1)),
        "R3": float(np.mean(finite(humps))) if finite(humps) else math.nan,
    }


def findings(frames: Mapping[str, pd.DataFrame], params: Mapping[str, Any], settings: Settings) -> list[Finding]:
    """The four ganrep findings from ``runs`` (one row per GAN, dataset, size and seed), ``fits`` and
    ``one_shot`` (this run's tables), ``paper`` and ``paper_fits`` (the published points and their
    re-fit); ``params['alpha']`` is the main alpha."""
    runs, fits, shots = frames["runs"], frames["fits"], frames["one_shot"]
    published = paper_values(frames["paper"], frames["paper_fits"])
    value = f"rep_pct_alpha{params['alpha']:g}"
    out = []

    c = _BY_ID["R1"]
    curves = as_cells(runs, CURVE, "size", value)
    iv = bootstrap(curves, _mean_over_curves(size_rho), settings, settings.rng("R1"), Cells.resampled)
    flat = sum(1 for c in curves if not math.isfinite(size_rho(c)))
    verdict, why = sign_verdict(iv, -1, "curves")
    if flat:
        why += f"; {flat} curve(s) never replicate and carry no rho"
    out.append(Finding(c, verdict, why, iv, published=published["R1"]))

    c = _BY_ID["R2"]
    excluded = int((fits["excluded"].fillna("") != "").sum())
    left_out = f"; {excluded} degenerate curve(s) left out (see fits.csv, excluded)" if excluded else ""
    pooled = fits[fits["excluded"].fillna("") == ""]["a"].to_numpy(float)
    iv = bootstrap(list(pooled), lambda a: float(np.std(a, ddof=1)) if len(a) > 1 else math.nan, settings, settings.rng("R2"))
    verdict, why = threshold_verdict(iv, published["R2"], above=False, unit="curves")
    why += (f"; a = {np.mean(pooled):.4f} on average" if len(pooled) else "") + left_out
    out.append(Finding(c, verdict, why, iv, published=published["R2"], reference=published["R2"]))

    c = _BY_ID["R3"]
    iv = bootstrap(as_cells(runs, CURVE, "size", "fid"), _mean_over_curves(fid_hump), settings, settings.rng("R3"), Cells.resampled)
    out.append(Finding(c, *sign_verdict(iv, +1, "curves"), iv, published=published["R3"]))

    c = _BY_ID["R4"]
    r2 = shots["r2_det"].to_numpy(float) if "r2_det" in shots else np.array([])
    r2 = r2[np.isfinite(r2)]
    iv = mean_interval(r2, settings)
    verdict, why = threshold_verdict(iv, R4_THRESHOLD, above=True, unit="held-out curves")
    out.append(Finding(c, verdict, why + left_out, iv, reference=R4_THRESHOLD))
    return out
