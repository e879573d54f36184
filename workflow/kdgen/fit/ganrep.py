"""The ganrep re-fit of published measurements (Feng et al., ICCV 2021), and its figure data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kdgen.fit.decay import PAPER_BOUNDS, fit_curves, standardise

CURVE_KEYS = ("gan", "dataset")


def published_id_scale(paper: pd.DataFrame) -> tuple[float, float]:
    """Mean and sample std (ddof = 1) of all published IDs (one per dataset and size; MNIST has none)."""
    ids = paper.dropna(subset=["id"]).drop_duplicates(["dataset", "size"])["id"]
    _, mu, sd = standardise(ids)
    return mu, sd


def refit_published(paper: pd.DataFrame, alpha: int = 8000) -> pd.DataFrame:
    """The paper's per GAN x dataset fits of replication % on standardised ID, re-done with our code:
    columns gan, dataset, a, b, c, r2_corr, r2_det, n_points (the points marked ``in_main_fit``)."""
    mu, sd = published_id_scale(paper)
    main = paper[(paper["in_main_fit"] == "yes") & paper["id"].notna()]
    table = fit_curves(main, CURVE_KEYS, "id", f"rep_pct_alpha{alpha}", mu, sd, PAPER_BOUNDS)
    return table.round({"a": 6, "b": 4, "c": 4, "r2_corr": 4, "r2_det": 4})


def curve_points(fits: pd.DataFrame, mu: float, sd: float, id_range: tuple[float, float], n: int = 100) -> pd.DataFrame:
    """Dense fitted curves over ``id_range`` for drawing: gan, dataset, id, rep_pct."""
    grid = np.linspace(*id_range, n)
    x = (grid - mu) / sd
    rows = []
    for fit in fits.itertuples():
        rep = np.exp(np.log(fit.a) * (fit.b * x - fit.c))
        rows.append(pd.DataFrame({"gan": fit.gan, "dataset": fit.dataset, "id": grid, "rep_pct": rep}))
    return pd.concat(rows, ignore_index=True)
