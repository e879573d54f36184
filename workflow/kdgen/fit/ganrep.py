"""The ganrep re-fit of published measurements (Feng et al., ICCV 2021), and its figure data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kdgen.fit.decay import PAPER_BOUNDS, decay, fit_curves, standardise

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
    """Runs averaged over seeds: one row per generator, dataset and size."""
    col = f"rep_pct_alpha{alpha:g}"
    keys = ["generator", "dataset", "size"]
    return runs.groupby(keys, sort=True).agg(id=("id", "mean"), rep_pct=(col, "mean"), rep_std=(col, "std"), fid=("fid", "mean")).reset_index()


def fit_runs(runs: pd.DataFrame, alpha: float, target: float) -> dict[str, pd.DataFrame]:
    """This run's ganrep fits: decay per generator x dataset (with the shared factor), the leave-one-out
    one-shot estimates, and the minimal dataset size for ``target`` replication %."""
    from kdgen.fit.decay import fit_exponential_decay, fit_id_to_size, minimal_size, one_shot_estimate

    means = curve_means(runs, alpha)
    _, mu, sd = standardise(means.drop_duplicates(["dataset", "size"])["id"])
    fits, objects = [], {}
    for (gen, ds), grp in means.groupby(["generator", "dataset"], sort=True):
        x, _, _ = standardise(grp["id"], mu, sd)
        fit = fit_exponential_decay(x, grp["rep_pct"], PAPER_BOUNDS)
        objects[(gen, ds)] = (fit, x, grp["rep_pct"].to_numpy())
        fits.append({"generator": gen, "dataset": ds, **fit.as_dict()})
    fits = pd.DataFrame(fits)
    fits["a_mean_over_curves"] = fits["a"].mean()
    fits["a_std_over_curves"] = fits["a"].std(ddof=1) if len(fits) > 1 else 0.0
    fits["id_mu"], fits["id_sd"] = mu, sd

    shots = []
    for key, (fit, x, r) in objects.items():
        others = [f for k, (f, _, _) in objects.items() if k != key]
        row = {"generator": key[0], "dataset": key[1]}
        if others:
            a, c = float(np.mean([f.a for f in others])), float(np.mean([f.c for f in others]))
            try:
                shot = one_shot_estimate(x, r, a, c)
                row.update(a=shot.a, b=shot.b, c=shot.c, x0=shot.x0, r0=shot.r0, r2_corr=shot.r2_corr, r2_det=shot.r2_det, note="")
            except ValueError as err:
                row.update(a=a, c=c, note=str(err))
        else:
            row["note"] = "needs at least two curves"
        shots.append(row)

    minimal = []
    for (gen, ds), (fit, _, _) in objects.items():
        pairs = means[means["dataset"] == ds].drop_duplicates("size")
        size_model = fit_id_to_size(pairs["id"], pairs["size"])
        id_star, n_star = minimal_size(target, fit, mu, sd, size_model)
        minimal.append(
            {"generator": gen, "dataset": ds, "target_rep_pct": target, "id_star": id_star, "size_star": n_star,
             "size_model_A": size_model[0], "size_model_B": size_model[1], "largest_size_run": int(pairs["size"].max())}
        )
    round_ = lambda df: df.round(6)
    return {"fits": round_(fits), "one_shot": round_(pd.DataFrame(shots)), "minimal_size": round_(pd.DataFrame(minimal))}
