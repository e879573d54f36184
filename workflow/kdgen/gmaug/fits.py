"""Gain vs SSIM-supSubCls: gain = A exp(-k x), and the published form gain = base^(b x - c).

Facts (Guo et al. 2023): the published cGAN fit is gain = 0.94^(202.74 x - 79.92) with R^2 = 0.8749, the
squared Pearson correlation of data and fit. That form has two identifiable parameters: with the base
fixed, A = base^(-c) and k = -b ln(base). The fit here is least squares of A exp(-k x) on the gains
themselves (not their logarithms: measured gains can be zero or negative), reported with both R^2
definitions (:func:`kdgen.curves.decay.r2_scores`) and re-expressed as (b, c) for the published base.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import least_squares

from kdgen.curves.decay import r2_scores

PAPER_BASE = 0.94
PAPER_FIT = {"b": 202.74, "c": 79.92, "r2_corr": 0.8749}


@dataclass
class GainFit:
    A: float
    k: float
    b: float  # the published form, base^(b x - c)
    c: float
    base: float
    r2_corr: float
    r2_det: float
    n_points: int

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        return self.A * np.exp(-self.k * np.asarray(x, dtype=float))

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def paper_form(A: float, k: float, base: float = PAPER_BASE) -> tuple[float, float]:
    """(b, c) with base^(b x - c) = A exp(-k x); NaN for a non-positive A."""
    ln = math.log(base)
    if not A > 0:
        return float("nan"), float("nan")
    return -k / ln, -math.log(A) / ln


def from_paper_form(b: float, c: float, base: float = PAPER_BASE) -> tuple[float, float]:
    """(A, k) of the published form base^(b x - c)."""
    ln = math.log(base)
    return math.exp(-c * ln), -b * ln


def fit_gain(x: Sequence[float], gain: Sequence[float], base: float = PAPER_BASE) -> GainFit:
    """Least squares of gain = A exp(-k x) from a log-linear start (on the positive gains) and a flat
    one; the lower cost wins."""
    x, y = np.asarray(x, dtype=float), np.asarray(gain, dtype=float)
    if len(x) < 2 or len(set(x.tolist())) < 2:
        raise ValueError(f"need gains at two or more distinct SSIM-supSubCls values to fit, got x = {x.tolist()}")
    starts = [np.array([max(float(np.abs(y).max()), 1e-3), 1.0])]
    pos = y > 0
    if pos.sum() >= 2 and len(set(x[pos].tolist())) >= 2:
        slope, icpt = np.polyfit(x[pos], np.log(y[pos]), 1)
        starts.append(np.array([math.exp(icpt), -slope]))
    best = None
    for p0 in starts:
        res = least_squares(lambda p: p[0] * np.exp(-p[1] * x) - y, p0, method="lm" if len(x) > 2 else "trf")
        if best is None or res.cost < best.cost:
            best = res
    A, k = (float(v) for v in best.x)
    fitted = A * np.exp(-k * x)
    r2_corr, r2_det = r2_scores(y, fitted)
    b, c = paper_form(A, k, base)
    return GainFit(A, k, b, c, base, r2_corr, r2_det, len(x))
