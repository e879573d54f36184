"""Replication vs dataset complexity: R = a^(b x - c) on standardised intrinsic dimension x.

Facts of the published protocol (Feng et al., ICCV 2021): per GAN x dataset curve, bounded nonlinear
least squares with 0 < a < 1, 10 <= b <= 130, 100 <= c <= 102 from several starting points; x is the
intrinsic dimension standardised by the mean and sample standard deviation of all IDs considered;
R^2 as published is the squared Pearson correlation of data and fit (``r2_corr``); the coefficient of
determination 1 - SS_res / SS_tot is reported beside it (``r2_det``). The three-parameter form has only
two identifiable combinations (ln R = b ln a x - c ln a); the bounds pin the third.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import least_squares

PAPER_BOUNDS: dict[str, tuple[float, float]] = {"a": (1e-6, 1 - 1e-9), "b": (10.0, 130.0), "c": (100.0, 102.0)}


@dataclass
class DecayFit:
    a: float
    b: float
    c: float
    r2_corr: float
    r2_det: float
    n_points: int

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        return decay(np.asarray(x, dtype=float), self.a, self.b, self.c)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def decay(x: np.ndarray, a: float, b: float, c: float) -> np.ndarray:
    """R(x) = a^(b x - c)."""
    return np.exp(np.log(a) * (b * np.asarray(x, dtype=float) - c))


def standardise(values: Sequence[float], mu: float | None = None, sd: float | None = None) -> tuple[np.ndarray, float, float]:
    """(values - mu) / sd with mu and the sample standard deviation (ddof = 1) of ``values`` by default."""
    v = np.asarray(values, dtype=float)
    mu = float(v.mean()) if mu is None else mu
    sd = float(v.std(ddof=1)) if sd is None else sd
    return (v - mu) / sd, mu, sd


def r2_scores(y: np.ndarray, fitted: np.ndarray) -> tuple[float, float]:
    """(squared Pearson correlation, coefficient of determination) of data ``y`` and ``fitted``."""
    y, fitted = np.asarray(y, dtype=float), np.asarray(fitted, dtype=float)
    if len(y) < 2 or np.std(y) == 0 or np.std(fitted) == 0:
        corr = float("nan")
    else:
        corr = float(np.corrcoef(y, fitted)[0, 1] ** 2)
    ss_tot = float(((y - y.mean()) ** 2).sum())
    det = 1.0 - float(((y - fitted) ** 2).sum()) / ss_tot if ss_tot > 0 else float("nan")
    return corr, det


def fit_exponential_decay(
    x: Sequence[float],
    r: Sequence[float],
    bounds: Mapping[str, tuple[float, float]] = PAPER_BOUNDS,
    starts: int = 3,
) -> DecayFit:
    """Bounded least squares of R = a^(b x - c) from a grid of ``starts``^3 starting points; best cost wins."""
    x, r = np.asarray(x, dtype=float), np.asarray(r, dtype=float)
    if len(x) < 2:
        raise ValueError(f"need at least two points to fit a decay, got {len(x)}")
    lo = np.array([bounds[k][0] for k in "abc"])
    hi = np.array([bounds[k][1] for k in "abc"])

    def residuals(p: np.ndarray) -> np.ndarray:
        return decay(x, *p) - r

    best = None
    grids = [np.linspace(l + (h - l) * 0.05, h - (h - l) * 0.05, starts) for l, h in zip(lo, hi)]
    # the decay is steep in a: spread its starting points on the scale of ln a
    grids[0] = 1 - np.geomspace(1 - grids[0].min(), 1 - grids[0].max(), starts) if lo[0] > 0 else grids[0]
    with np.errstate(all="ignore"):  # far starting points overflow; they are skipped
        for p0 in itertools.product(*grids):
            p0 = np.clip(p0, lo, hi)
            if not np.all(np.isfinite(residuals(p0))):
                continue
            try:
                res = least_squares(residuals, p0, bounds=(lo, hi), method="trf", x_scale="jac")
            except ValueError:
                continue
            if np.isfinite(res.cost) and (best is None or res.cost < best.cost):
                best = res
    if best is None:
        raise RuntimeError("no starting point converged")
    a, b, c = (float(v) for v in best.x)
    corr, det = r2_scores(r, decay(x, a, b, c))
    return DecayFit(a, b, c, corr, det, len(x))


def shared_factor(fits: Sequence[DecayFit]) -> dict[str, float]:
    """Mean and spread (sample std) of a over curves: the paper's shared decaying factor."""
    a = np.array([f.a for f in fits])
    return {"a_mean": float(a.mean()), "a_std": float(a.std(ddof=1)) if len(a) > 1 else 0.0, "curves": len(a)}


@dataclass
class OneShot:
    a: float
    b: float
    c: float
    x0: float
    r0: float
    r2_corr: float
    r2_det: float


def one_shot_estimate(x: Sequence[float], r: Sequence[float], a: float, c: float) -> OneShot:
    """Leave-one-out one-shot curve: with a and c from the other curves and only the smallest-ID point
    (x0, R0) of this curve, b = (ln R0 / ln a + c) / x0; scored against all of this curve's points."""
    x, r = np.asarray(x, dtype=float), np.asarray(r, dtype=float)
    i = int(np.argmin(x))
    x0, r0 = float(x[i]), float(r[i])
    if r0 <= 0 or x0 == 0:
        raise ValueError(f"one-shot estimate needs R0 > 0 and x0 != 0, got R0={r0}, x0={x0}")
    b = (math.log(r0) / math.log(a) + c) / x0
    corr, det = r2_scores(r, decay(x, a, b, c))
    return OneShot(a, b, c, x0, r0, corr, det)


def fit_id_to_size(ids: Sequence[float], sizes: Sequence[float]) -> tuple[float, float]:
    """N = A exp(B ID), least squares on ln N; returns (A, B)."""
    slope, intercept = np.polyfit(np.asarray(ids, dtype=float), np.log(np.asarray(sizes, dtype=float)), 1)
    return float(math.exp(intercept)), float(slope)


def minimal_size(target: float, fit: DecayFit, mu: float, sd: float, size_model: tuple[float, float]) -> tuple[float, float]:
    """The ID and dataset size at which the fitted replication falls to ``target`` (%):
    ID* = mu + sd (ln R* / ln a + c) / b, then N* = A exp(B ID*)."""
    id_star = mu + sd * (math.log(target) / math.log(fit.a) + fit.c) / fit.b
    big_a, big_b = size_model
    return id_star, big_a * math.exp(big_b * id_star)


def fit_curves(
    table: "pd.DataFrame",
    by: Sequence[str],
    x: str,
    r: str,
    mu: float,
    sd: float,
    bounds: Mapping[str, tuple[float, float]] = PAPER_BOUNDS,
) -> "pd.DataFrame":
    """One decay fit per group of ``table`` (columns ``by``), x standardised with ``mu`` and ``sd``.

    Returns one row per group: the group keys, a, b, c, r2_corr, r2_det, n_points.
    """
    import pandas as pd

    rows = []
    for keys, group in table.groupby(list(by), sort=False):
        keys = keys if isinstance(keys, tuple) else (keys,)
        xs, _, _ = standardise(group[x], mu, sd)
        fit = fit_exponential_decay(xs, group[r], bounds)
        rows.append({**dict(zip(by, keys)), **fit.as_dict()})
    return pd.DataFrame(rows)
