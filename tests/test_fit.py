"""Curve fitting: recovery of known parameters, R^2 definitions, one-shot and size models, the
published ganrep re-fit."""

import math

import numpy as np
import pandas as pd
import pytest

from kdgen.curves.decay import (
    DecayFit,
    decay,
    fit_exponential_decay,
    fit_id_to_size,
    minimal_size,
    one_shot_estimate,
    r2_scores,
    shared_factor,
    standardise,
)
from kdgen.ganrep.fits import published_id_scale, refit_published


@pytest.mark.parametrize("a,b,c", [(0.97, 60.0, 100.5), (0.985, 25.0, 101.2), (0.96, 110.0, 100.1)])
def test_fit_recovers_the_identifiable_parameters(a, b, c):
    x = np.linspace(-1.5, 1.5, 7)
    r = decay(x, a, b, c) * (1 + 0.01 * np.sin(np.arange(7)))  # 1% wiggle
    fit = fit_exponential_decay(x, r)
    # ln R = (b ln a) x - c ln a: slope and intercept are what the data determine
    assert fit.b * math.log(fit.a) == pytest.approx(b * math.log(a), rel=0.03)
    assert fit.c * math.log(fit.a) == pytest.approx(c * math.log(a), rel=0.03)
    assert fit.r2_corr > 0.99 and fit.r2_det > 0.99
    assert 0 < fit.a < 1 and 10 <= fit.b <= 130 and 100 <= fit.c <= 102


def test_r2_definitions_differ_when_the_fit_is_biased():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    corr, det = r2_scores(y, y * 2 + 1)  # perfectly correlated, badly off
    assert corr == pytest.approx(1.0) and det < 0


def test_standardise_uses_the_sample_standard_deviation():
    x, mu, sd = standardise([1.0, 2.0, 3.0, 4.0])
    assert mu == 2.5 and sd == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    assert x.mean() == pytest.approx(0.0)


def test_one_shot_recovers_b_from_a_single_point():
    a, b, c = 0.975, 70.0, 100.4
    x = np.array([-1.2, -0.3, 0.5, 1.4])
    shot = one_shot_estimate(x, decay(x, a, b, c), a, c)
    assert shot.b == pytest.approx(b, rel=1e-9) and shot.x0 == -1.2 and shot.r2_det == pytest.approx(1.0)
    with pytest.raises(ValueError, match="R0 > 0"):
        one_shot_estimate(x, np.zeros(4), a, c)


def test_size_model_and_minimal_size_invert_the_fits():
    ids = np.array([20.0, 24.0, 28.0, 31.0])
    A, B = 12.0, 0.3
    big_a, big_b = fit_id_to_size(ids, A * np.exp(B * ids))
    assert (big_a, big_b) == pytest.approx((A, B), rel=1e-9)
    fit = DecayFit(0.97, 60.0, 100.5, 1.0, 1.0, 4)
    mu, sd = 25.0, 4.0
    id_star, n_star = minimal_size(2.0, fit, mu, sd, (A, B))
    assert fit.predict((id_star - mu) / sd) == pytest.approx(2.0)
    assert n_star == pytest.approx(A * math.exp(B * id_star))


def test_shared_factor():
    fits = [DecayFit(a, 50, 100, 1, 1, 3) for a in (0.96, 0.97, 0.98)]
    assert shared_factor(fits) == pytest.approx({"a_mean": 0.97, "a_std": 0.01, "curves": 3})


def test_published_refit_table(repo):
    paper = pd.read_csv(repo / "reference/ganrep_paper.csv")
    mu, sd = published_id_scale(paper)
    assert mu == pytest.approx(349.16 / 15) and sd == pytest.approx(6.3404, abs=1e-4)  # the 15 published IDs
    fits = refit_published(paper)
    assert list(fits.columns) == ["gan", "dataset", "a", "b", "c", "r2_corr", "r2_det", "n_points"]
    assert len(fits) == 6 and set(fits["gan"]) == {"BigGAN", "StyleGAN2"} and set(fits["dataset"]) == {"FLOWER", "CelebA", "LSUN"}
    assert fits["n_points"].tolist() == [5, 3, 5, 3, 4, 5]
    assert fits["a"].between(0.95, 0.99).all() and (fits["r2_corr"] > 0.85).all()
    # the fit is better than any other point of the bounded parameter space we try
    row = fits.iloc[0]
    pts = paper[(paper.gan == row.gan) & (paper.dataset == row.dataset) & (paper.in_main_fit == "yes")]
    x, _, _ = standardise(pts["id"], mu, sd)
    cost = lambda p: float(((decay(x, *p) - pts["rep_pct_alpha8000"]) ** 2).sum())
    best = cost((row.a, row.b, row.c))
    rng = np.random.default_rng(0)
    for _ in range(300):
        trial = (rng.uniform(0.9, 0.999), rng.uniform(10, 130), rng.uniform(100, 102))
        assert cost(trial) >= best - 1e-6


def _runs(curves: dict[tuple[str, str], list[float]], seeds=(0, 1)) -> pd.DataFrame:
    """A runs table: per (generator, dataset) replication % at sizes 24..128, IDs rising with size."""
    rows = []
    for (gen, ds), reps in curves.items():
        for size, rep, ident in zip((24, 48, 80, 128), reps, (10.0, 12.0, 13.5, 15.0)):
            for seed in seeds:
                rows.append({"generator": gen, "dataset": ds, "size": size, "seed": seed, "id": ident + (ds == "b"),
                             "rep_pct_alpha8000": rep + seed * 0.5 * (rep > 0), "rep_pct_ratio": rep / 2, "fid": 10.0})
    return pd.DataFrame(rows)


def test_a_flat_curve_is_flagged_and_kept_out_of_every_pooled_quantity():
    from kdgen.ganrep.fits import fit_runs

    decaying = {("g1", "a"): [60.0, 20.0, 5.0, 1.0], ("g1", "b"): [50.0, 25.0, 4.0, 0.5], ("g2", "a"): [40.0, 10.0, 2.0, 0.3]}
    clean = fit_runs(_runs(decaying), 8000, 1.0)
    flat = fit_runs(_runs({**decaying, ("g2", "b"): [0.0, 0.0, 0.0, 0.0]}), 8000, 1.0)
    fits = flat["fits"].set_index(["generator", "dataset"])
    assert fits.loc[("g2", "b"), "excluded"].startswith("never replicates")
    assert (fits.drop(index=("g2", "b"))["excluded"] == "").all()
    assert (fits["curves_pooled"] == 3).all()
    # the shared factor is that of the three decaying curves, unchanged by the flat one
    assert fits["a_mean_over_curves"].iloc[0] == pytest.approx(clean["fits"]["a_mean_over_curves"].iloc[0], rel=1e-4)
    shots = flat["one_shot"].set_index(["generator", "dataset"])
    assert shots.loc[("g2", "b"), "excluded"] and pd.isna(shots.loc[("g2", "b")].get("b"))
    for key in decaying:  # the others' leave-one-out a ignores the flat curve
        assert shots.loc[key, "a"] == pytest.approx(clean["one_shot"].set_index(["generator", "dataset"]).loc[key, "a"], rel=1e-4)
    minimal = flat["minimal_size"].set_index(["generator", "dataset"])
    assert pd.isna(minimal.loc[("g2", "b"), "size_star"]) and minimal.loc[("g2", "b"), "excluded"]
    assert minimal.drop(index=("g2", "b"))["size_star"].notna().all()


def test_size_trend_reports_spearman_rho_per_curve():
    from kdgen.ganrep.fits import curve_means, size_trend

    trend = size_trend(curve_means(_runs({("g", "a"): [60.0, 20.0, 5.0, 1.0], ("g", "b"): [1.0, 5.0, 3.0, 0.0], ("h", "a"): [0.0] * 4}), 8000))
    rho = trend.set_index(["generator", "dataset"])["spearman_rho_size"]
    assert rho[("g", "a")] == pytest.approx(-1.0) and rho[("g", "b")] == pytest.approx(-0.4) and np.isnan(rho[("h", "a")])
    means = curve_means(_runs({("g", "a"): [60.0, 20.0, 5.0, 1.0]}), 8000)
    assert means["seeds"].eq(2).all() and means["rep_std"].iloc[0] == pytest.approx(np.std([60.0, 60.5], ddof=1))
