"""The ganrep re-fit of published measurements (Feng et al., ICCV 2021), and its figure data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kdgen.curves.decay import PAPER_BOUNDS, decay, fit_curves, standardise

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
        rep = decay(x, fit.a, fit.b, fit.c)
        rows.append(pd.DataFrame({"gan": fit.gan, "dataset": fit.dataset, "id": grid, "rep_pct": rep}))
    return pd.concat(rows, ignore_index=True)


def curve_means(runs: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Runs averaged over seeds: one row per generator, dataset and size, with the mean and the sample
    standard deviation over seeds (NaN for one seed) of replication % at ``alpha``, of the ratio-test
    replication % and of FID, and the number of seeds."""
    col = f"rep_pct_alpha{alpha:g}"
    keys = ["generator", "dataset", "size"]
    return (
        runs.groupby(keys, sort=True)
        .agg(
            seeds=("seed", "nunique"), id=("id", "mean"), rep_pct=(col, "mean"), rep_std=(col, "std"),
            ratio_pct=("rep_pct_ratio", "mean"), ratio_std=("rep_pct_ratio", "std"), fid=("fid", "mean"), fid_std=("fid", "std"),
        )
        .reset_index()
    )


def size_trend(means: pd.DataFrame) -> pd.DataFrame:
    """Per generator x dataset: Spearman's rho between training-set size and mean replication % (the
    paper's claim is a fall: rho near -1), and the replication % at the smallest and largest size."""
    from scipy.stats import spearmanr

    rows = []
    for (gen, ds), grp in means.sort_values("size").groupby(["generator", "dataset"], sort=True):
        flat = grp["rep_pct"].nunique() < 2
        rho = float("nan") if flat or len(grp) < 2 else float(spearmanr(grp["size"], grp["rep_pct"]).statistic)
        rows.append({"generator": gen, "dataset": ds, "spearman_rho_size": rho,
                     "rep_pct_smallest": float(grp["rep_pct"].iloc[0]), "rep_pct_largest": float(grp["rep_pct"].iloc[-1])})
    return pd.DataFrame(rows)


def degenerate_reason(rep_pct: np.ndarray, fit) -> str:
    """Why a curve carries no decay to pool, or "": it never replicates (every point 0), or its fit sits
    at the bound a = 1 (a flat curve; R = a^(b x - c) is then 1 everywhere and says nothing)."""
    if not np.any(np.asarray(rep_pct, dtype=float) > 0):
        return "never replicates (replication 0 at every size)"
    if fit.a >= PAPER_BOUNDS["a"][1] - 1e-6:
        return f"fit at the bound a = 1 (a = {fit.a:.6f}): no decay"
    return ""


def fit_runs(runs: pd.DataFrame, alpha: float, target: float) -> dict[str, pd.DataFrame]:
    """This run's ganrep fits: decay per generator x dataset (with the shared factor), the leave-one-out
    one-shot estimates, and the minimal dataset size for ``target`` replication %.

    A degenerate curve (:func:`degenerate_reason`) is fitted and listed, flagged in the column
    ``excluded`` of every table with the reason, and kept out of every pooled quantity: the shared factor,
    the leave-one-out a and c of the other curves; it gets no one-shot estimate and no minimal size.
    """
    from kdgen.curves.decay import fit_exponential_decay, fit_id_to_size, minimal_size, one_shot_estimate

    means = curve_means(runs, alpha)
    _, mu, sd = standardise(means.drop_duplicates(["dataset", "size"])["id"])
    fits, objects = [], {}
    for (gen, ds), grp in means.groupby(["generator", "dataset"], sort=True):
        x, _, _ = standardise(grp["id"], mu, sd)
        fit = fit_exponential_decay(x, grp["rep_pct"], PAPER_BOUNDS)
        reason = degenerate_reason(grp["rep_pct"].to_numpy(), fit)
        objects[(gen, ds)] = (fit, x, grp["rep_pct"].to_numpy(), reason)
        fits.append({"generator": gen, "dataset": ds, **fit.as_dict(), "excluded": reason})
    fits = pd.DataFrame(fits).merge(size_trend(means), on=["generator", "dataset"], how="left")
    pooled = fits[fits["excluded"] == ""]["a"]
    fits["a_mean_over_curves"] = pooled.mean() if len(pooled) else float("nan")
    fits["a_std_over_curves"] = pooled.std(ddof=1) if len(pooled) > 1 else 0.0 if len(pooled) else float("nan")
    fits["curves_pooled"] = len(pooled)
    fits["id_mu"], fits["id_sd"] = mu, sd

    shots = []
    for key, (fit, x, r, reason) in objects.items():
        others = [f for k, (f, _, _, why) in objects.items() if k != key and not why]
        row = {"generator": key[0], "dataset": key[1], "excluded": reason}
        if reason:
            row["note"] = "degenerate curve: no one-shot estimate"
        elif others:
            a, c = float(np.mean([f.a for f in others])), float(np.mean([f.c for f in others]))
            try:
                shot = one_shot_estimate(x, r, a, c)
                row.update(a=shot.a, b=shot.b, c=shot.c, x0=shot.x0, r0=shot.r0, r2_corr=shot.r2_corr, r2_det=shot.r2_det, note="")
            except ValueError as err:
                row.update(a=a, c=c, note=str(err))
        else:
            row["note"] = "needs at least one other non-degenerate curve"
        shots.append(row)

    minimal = []
    for (gen, ds), (fit, _, _, reason) in objects.items():
        pairs = means[means["dataset"] == ds].drop_duplicates("size")
        size_model = fit_id_to_size(pairs["id"], pairs["size"])
        id_star, n_star = (float("nan"), float("nan")) if reason else minimal_size(target, fit, mu, sd, size_model)
        minimal.append(
            {"generator": gen, "dataset": ds, "target_rep_pct": target, "id_star": id_star, "size_star": n_star,
             "size_model_A": size_model[0], "size_model_B": size_model[1], "largest_size_run": int(pairs["size"].max()),
             "excluded": reason}
        )
    round_ = lambda df: df.round(6)
    return {"fits": round_(fits), "one_shot": round_(pd.DataFrame(shots)), "minimal_size": round_(pd.DataFrame(minimal))}
