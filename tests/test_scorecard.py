"""The scorecard's verdict rules, on intervals and on constructed study tables: for every claim a clear
effect in the paper's direction holds, a reversed one fails, a null one is inconclusive, and too few
replicates are inconclusive saying how many."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kdgen import scorecard as sc
from kdgen.ganrep import claims as ganrep
from kdgen.gmaug import claims as gmaug
from kdgen.lfkd import claims as lfkd
from kdgen.studies import CLAIM_STUDIES, study_claims
from kdgen.xkd import claims as xkd

from conftest import REPO

SETTINGS = sc.Settings(n_boot=400, seed=0)
CLAIM_IDS = ["R1", "R2", "R3", "R4", "L1", "L2", "L3", "L4", "X1", "X2", "X3", "X4", "G1", "G2"]


def reference(name: str) -> pd.DataFrame:
    return pd.read_csv(REPO / "reference" / name)


def verdict_of(findings: list[sc.Finding], claim: str, variant: str = "") -> sc.Finding:
    (found,) = [f for f in findings if f.claim.id == claim and f.variant == variant]
    return found


# --- the rules on intervals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "low, high, sign, expected",
    [(0.5, 2.0, +1, sc.HOLDS), (-2.0, -0.5, +1, sc.FAILS), (-0.5, 0.5, +1, sc.INCONCLUSIVE),
     (-2.0, -0.5, -1, sc.HOLDS), (0.5, 2.0, -1, sc.FAILS), (-0.5, 0.5, -1, sc.INCONCLUSIVE)],
)  # fmt: skip
def test_sign_rule(low, high, sign, expected):
    verdict, why = sc.sign_verdict(sc.Interval((low + high) / 2, low, high, 5), sign, "seeds")
    assert verdict == expected and "5 seeds" in why


def test_too_few_replicates_are_inconclusive_and_say_how_many():
    verdict, why = sc.sign_verdict(sc.Interval(3.0, 2.0, 4.0, 2), +1, "seeds")
    assert verdict == sc.INCONCLUSIVE and "2 seeds" in why and "at least 3" in why
    verdict, why = sc.threshold_verdict(sc.Interval(0.9, 0.8, 1.0, 4), 0.5, above=True, unit="curves", min_units=5)
    assert verdict == sc.INCONCLUSIVE and "4 curves" in why and "at least 5" in why
    verdict, why = sc.sign_verdict(sc.Interval(1.0, math.nan, math.nan, 6), +1, "datasets")
    assert verdict == sc.INCONCLUSIVE and "no interval" in why


@pytest.mark.parametrize(
    "low, high, above, expected",
    [(0.6, 0.9, True, sc.HOLDS), (0.1, 0.4, True, sc.FAILS), (0.4, 0.6, True, sc.INCONCLUSIVE),
     (0.1, 0.4, False, sc.HOLDS), (0.6, 0.9, False, sc.FAILS), (0.4, 0.6, False, sc.INCONCLUSIVE)],
)  # fmt: skip
def test_threshold_rule(low, high, above, expected):
    assert sc.threshold_verdict(sc.Interval(0.5, low, high, 4), 0.5, above, "units")[0] == expected


def test_a_claim_of_parts_holds_only_when_every_part_does():
    h, f, i = (sc.HOLDS, "a"), (sc.FAILS, "b"), (sc.INCONCLUSIVE, "c")
    assert sc.combine([("x", h), ("y", h)])[0] == sc.HOLDS
    assert sc.combine([("x", h), ("y", i)])[0] == sc.INCONCLUSIVE
    assert sc.combine([("x", i), ("y", f)])[0] == sc.FAILS
    assert "x: holds (a); y: fails (b)" == sc.combine([("x", h), ("y", f)])[1]


def test_a_rank_correlation_needs_five_units_at_95_percent():
    assert sc.rank_correlation_min_units(0.95) == 5  # 2/4! = 0.083 > 0.05 >= 2/5! = 0.017
    assert sc.rank_correlation_min_units(0.99) == 6


def test_a_mean_gets_students_t_interval_and_the_bootstrap_is_seeded():
    from scipy import stats

    values = np.random.default_rng(1).normal(2.0, 1.0, 6)
    iv = sc.mean_interval(values, SETTINGS)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert iv.n == 6 and iv.low == pytest.approx(low) and iv.high == pytest.approx(high)
    assert math.isnan(sc.mean_interval([1.0], SETTINGS).low)
    mean = lambda vs: float(np.mean(vs))
    a = sc.bootstrap(list(values), mean, SETTINGS, SETTINGS.rng("X"))
    b = sc.bootstrap(list(values), mean, SETTINGS, SETTINGS.rng("X"))
    c = sc.bootstrap(list(values), mean, SETTINGS, SETTINGS.rng("Y"))
    assert (a.low, a.high) == (b.low, b.high) and (a.low, a.high) != (c.low, c.high)
    assert low < a.low < values.mean() < a.high < high  # the percentile bootstrap is narrower with few units
    # two-level: the estimate is the statistic of the units as they are, not of a resample
    units = sc.as_cells(pd.DataFrame({"u": [0, 0, 1, 1], "k": [1, 1, 1, 1], "v": [1.0, 3.0, 5.0, 7.0]}), ["u"], "k", "v")
    iv = sc.bootstrap(units, lambda us: float(np.mean([u.means()[0] for u in us])), SETTINGS, SETTINGS.rng("Z"), sc.Cells.resampled)
    assert iv.estimate == 4.0 and iv.n == 2 and 1.0 <= iv.low < 4.0 < iv.high <= 7.0


# --- constructed study tables ---------------------------------------------------------------------------

EFFECTS = {"clear": sc.HOLDS, "reversed": sc.FAILS, "null": sc.INCONCLUSIVE}


def ganrep_frames(effect: str, curves: int = 4, seeds: int = 3) -> dict[str, pd.DataFrame]:
    """Curves whose replication falls with size (clear), rises (reversed) or half of each (null), with an
    FID that peaks in the middle (clear), dips there (reversed) or half of each (null)."""
    rng = np.random.default_rng(0)
    sizes = [16, 32, 64, 128]
    rows = []
    for i in range(curves):
        direction = {"clear": 1, "reversed": -1, "null": 1 if i % 2 else -1}[effect]
        for j, size in enumerate(sizes):
            rep = 40.0 * 0.4 ** (j if direction > 0 else 3 - j)
            fid = 10.0 + direction * (5.0 if j in (1, 2) else 0.0)
            for s in range(seeds):
                rows.append({"generator": f"g{i % 2}", "dataset": f"d{i // 2}", "size": size, "seed": s,
                             "rep_pct_alpha8000": rep + rng.normal(0, 0.5), "fid": fid + rng.normal(0, 0.3)})  # fmt: skip
    runs = pd.DataFrame(rows)
    a = {"clear": [0.980, 0.981, 0.982, 0.979], "reversed": [0.5, 0.9, 0.7, 0.99], "null": [0.975, 0.99, 0.972, 0.99]}[effect][:curves]
    r2 = {"clear": [0.9, 0.85, 0.95, 0.8], "reversed": [0.1, -0.3, 0.2, 0.05], "null": [0.1, 0.9, 0.2, 0.8]}[effect][:curves]
    keys = runs[["generator", "dataset"]].drop_duplicates().reset_index(drop=True)
    fits = keys.assign(a=a, excluded="")
    shots = keys.assign(r2_det=r2)
    return {"runs": runs, "fits": fits, "one_shot": shots, "paper": reference("ganrep_paper.csv"), "paper_fits": ganrep_paper_fits()}


def ganrep_paper_fits() -> pd.DataFrame:
    # the spread of a over the paper's six re-fitted curves (results/reference/ganrep_paper_fit.csv)
    return pd.DataFrame({"a": [0.962166, 0.972256, 0.986923, 0.974725, 0.975165, 0.973632]})


@pytest.mark.parametrize("effect", EFFECTS)
def test_ganrep_claims_on_constructed_curves(effect):
    found = ganrep.findings(ganrep_frames(effect), {"alpha": 8000}, SETTINGS)
    assert [f.claim.id for f in found] == ["R1", "R2", "R3", "R4"]
    for f in found:
        assert f.verdict == EFFECTS[effect], (f.claim.id, f.verdict, f.why)
    assert verdict_of(found, "R2").reference == pytest.approx(ganrep_paper_fits()["a"].std(ddof=1))


def test_ganrep_claims_with_two_curves_are_inconclusive():
    found = ganrep.findings(ganrep_frames("clear", curves=2), {"alpha": 8000}, SETTINGS)
    for f in found:
        assert f.verdict == sc.INCONCLUSIVE and "2 " in f.why and "at least 3" in f.why, (f.claim.id, f.why)


def test_published_values_come_from_the_reference_tables():
    paper = ganrep.paper_values(reference("ganrep_paper.csv"), ganrep_paper_fits())
    assert -1.0 <= paper["R1"] < -0.5 and paper["R3"] > 0  # the paper's curves fall, its FID peaks in the middle
    x = xkd.paper_values(reference("xkd_paper.csv"), reference("xkd_paper_leakage.csv"))
    assert x["X1"] == 100.0 and x["X2"] > 0 > x["X3"]
    assert gmaug.paper_values(reference("gmaug_paper.csv"))["G1"] < -0.5


def lfkd_frames(effect: str, seeds: int = 3, pairs: int = 3) -> dict[str, pd.DataFrame]:
    """Two datasets; strong-teacher students overfit less, agree less and share less information with
    their teachers and generalise better (clear), the opposite (reversed), or differ by alternating signs
    (null); strong teacher pairs overlap less (clear), more, or alternately."""
    sign = {"clear": 1.0, "reversed": -1.0, "null": 0.0}[effect]
    rows, pair_rows = [], []
    for d, dataset in enumerate(["a", "b"]):
        for s in range(seeds):
            flip = sign if effect != "null" else (1.0 if (s + d) % 2 else -1.0)
            for config, strong in (("T1w_T2w_Sw", 0.0), ("T1s_T2s_Sw", 1.0)):
                shift = strong * flip
                rows.append({"dataset": dataset, "config": config, "seed": s, "overfit_aug": 10.0 - 4.0 * shift + 0.1 * s,
                             "fidelity": 80.0 - 5.0 * shift + 0.2 * s, "mi": 1.5 - 0.3 * shift + 0.01 * s,
                             "test_top1": 70.0 + 3.0 * shift + 0.1 * s})  # fmt: skip
            rows.append({"dataset": dataset, "config": "noKD_Sw", "seed": s, "overfit_aug": 20.0, "fidelity": np.nan, "mi": np.nan, "test_top1": 50.0})
        for k in range(pairs):
            flip = sign if effect != "null" else (1.0 if (k + d) % 2 else -1.0)
            for aug, strong in (("weak", 0.0), ("strong", 1.0)):
                pair_rows.append({"dataset": dataset, "aug": aug, "seed_a": k, "seed_b": k + 1, "iou_cam_sum": 0.6 - 0.1 * strong * flip + 0.005 * k})
    return {"students": pd.DataFrame(rows), "pairs": pd.DataFrame(pair_rows)}


@pytest.mark.parametrize("effect", EFFECTS)
def test_lfkd_claims_on_constructed_measures(effect):
    found = lfkd.findings(lfkd_frames(effect), {"attention": ["cam_sum"]}, SETTINGS)
    assert [f.claim.id for f in found] == ["L1", "L2", "L3", "L4"]
    for f in found:
        assert f.verdict == EFFECTS[effect], (f.claim.id, f.verdict, f.why)
    if effect == "clear":
        assert verdict_of(found, "L2").interval.n == 6  # two datasets x three seeds, paired
        assert verdict_of(found, "L2").interval.estimate == pytest.approx(-4.0)


def test_lfkd_claims_with_too_few_replicates_are_inconclusive():
    found = lfkd.findings(lfkd_frames("clear", seeds=1, pairs=2), {"attention": ["cam_sum"]}, SETTINGS)
    for f in found:
        assert f.verdict == sc.INCONCLUSIVE and "at least 3" in f.why, (f.claim.id, f.why)


def xkd_frames(effect: str, seeds: int = 3) -> dict[str, pd.DataFrame]:
    sign = {"clear": 1.0, "reversed": -1.0, "null": 0.0}[effect]
    teachers, students = [], []
    for s in range(seeds):
        flip = sign if effect != "null" else (1.0 if s % 2 else -1.0)
        exact_top1 = {"clear": 100.0, "reversed": 80.0 + s, "null": 98.0 + 2.0 * (s % 2)}[effect]
        teachers.append({"dataset": "d", "arm": "exact", "seed": s, "test_top1": exact_top1, "entropy_nats": 0.01 if effect != "reversed" else 0.5, "image_share": 0.5})
        teachers.append({"dataset": "d", "arm": "relaxed", "seed": s, "test_top1": 90.0, "entropy_nats": 0.8, "image_share": 0.5 + 0.1 * flip + 0.001 * s})
        base = 60.0 + s
        students += [
            {"dataset": "d", "student": "Tm", "arm": np.nan, "seed": s, "test_top1": base},
            {"dataset": "d", "student": "Tm_Tx_relaxed", "arm": "relaxed", "seed": s, "test_top1": base + 3.0 * flip},
            {"dataset": "d", "student": "Tm_Tx_exact", "arm": "exact", "seed": s, "test_top1": base},
            {"dataset": "d", "student": "Tm_Tx_noise50", "arm": "noise50", "seed": s, "test_top1": base - 0.5 * (1 - flip)},
        ]
    return {"teachers": pd.DataFrame(teachers), "students": pd.DataFrame(students),
            "paper": reference("xkd_paper.csv"), "leakage": reference("xkd_paper_leakage.csv")}  # fmt: skip


@pytest.mark.parametrize("effect", EFFECTS)
def test_xkd_claims_on_constructed_teachers_and_students(effect):
    found = xkd.findings(xkd_frames(effect), {}, SETTINGS)
    assert [f.claim.id for f in found] == ["X1", "X2", "X3", "X4"]
    for f in found:
        assert f.verdict == EFFECTS[effect], (f.claim.id, f.verdict, f.why)
    assert "noise50" in verdict_of(found, "X3").why  # every hindering arm with students is checked


def test_xkd_claims_with_two_seeds_are_inconclusive():
    for f in xkd.findings(xkd_frames("clear", seeds=2), {}, SETTINGS):
        assert f.verdict == sc.INCONCLUSIVE and "2 " in f.why, (f.claim.id, f.why)


def gmaug_frames(effect: str, datasets: int = 6, seeds: int = 3, collapsed: bool = False) -> dict[str, pd.DataFrame]:
    """Datasets whose gain falls with SSIM-supSubCls (clear, an exponential decay), rises (reversed), or
    zig-zags with equal halves (null); with ``collapsed`` the cGAN kept no image on the first two datasets."""
    rows, gain = [], []
    for d in range(datasets):
        x = 0.1 + 0.08 * d
        g = {"clear": 40.0 * math.exp(-8.0 * x), "reversed": 40.0 * math.exp(-8.0 * (0.58 - x)), "null": [5.0, 1.0, 9.0, 9.0, 1.0, 5.0][d % 6]}[effect]
        gain.append({"dataset": f"d{d}", "ssim_paper": x})
        for generator in ("cgan", "diffusion"):
            for s in range(seeds):
                kept = 0 if collapsed and generator == "cgan" and d < 2 else 50
                rows.append({"dataset": f"d{d}", "generator": generator, "arm": "step1", "seed": s, "gain_paper": g + 0.3 * (s - 1), "generated": kept})
        rows += [{"dataset": f"d{d}", "generator": "original", "arm": "original", "seed": s, "gain_paper": np.nan, "generated": np.nan} for s in range(seeds)]
    return {"runs": pd.DataFrame(rows), "gain": pd.DataFrame(gain), "paper": reference("gmaug_paper.csv")}


@pytest.mark.parametrize("effect", EFFECTS)
def test_gmaug_claims_on_constructed_gains(effect):
    found = gmaug.findings(gmaug_frames(effect), {"arm": "step1"}, SETTINGS)
    assert [(f.claim.id, f.variant) for f in found] == [("G1", "cgan"), ("G2", "cgan"), ("G1", "diffusion"), ("G2", "diffusion")]
    for f in found:
        assert f.verdict == EFFECTS[effect], (f.claim.id, f.variant, f.verdict, f.why)


def test_gmaug_rank_correlation_over_four_datasets_is_inconclusive_and_collapsed_runs_are_left_out():
    found = gmaug.findings(gmaug_frames("clear", datasets=4), {"arm": "step1"}, SETTINGS)
    g1 = verdict_of(found, "G1", "diffusion")
    assert g1.verdict == sc.INCONCLUSIVE and "4 datasets" in g1.why and "at least 5" in g1.why
    found = gmaug.findings(gmaug_frames("clear", datasets=6, collapsed=True), {"arm": "step1"}, SETTINGS)
    g1 = verdict_of(found, "G1", "cgan")
    assert g1.interval.n == 4 and "6 run(s) left out" in g1.why and g1.verdict == sc.INCONCLUSIVE


# --- the card -------------------------------------------------------------------------------------------


def test_every_claim_is_declared_once_in_its_study():
    ids = [c.id for s in CLAIM_STUDIES for c in study_claims(s).CLAIMS]
    assert ids == CLAIM_IDS
    for s in CLAIM_STUDIES:
        assert {c.study for c in study_claims(s).CLAIMS} == {s}
    with pytest.raises(ValueError, match="no claims"):
        study_claims("nope")


def test_the_card_lists_every_claim_in_order_not_built_ones_too(tmp_path):
    findings = xkd.findings(xkd_frames("clear"), {}, SETTINGS) + sc.not_built(ganrep.CLAIMS, "not in this config")
    table = sc.scorecard_table(findings, SETTINGS, "toy", CLAIM_IDS)
    assert table["claim"].tolist() == ["R1", "R2", "R3", "R4", "X1", "X2", "X3", "X4"]
    assert set(table.columns) >= {"claim", "statistic", "estimate", "low", "high", "n", "published", "verdict", "scale"}
    assert (table[table["study"] == "ganrep"]["verdict"] == sc.NOT_BUILT).all()
    doc = sc.scorecard_document(table)
    assert "8 rows: 4 holds, 4 not built." in doc and doc.count("\n| R") == 4
    from kdgen.plots.scorecard import scorecard_figure
    from kdgen.plots.style import save_figure

    save_figure(scorecard_figure(table), tmp_path / "card.png")
    assert (tmp_path / "card.png").stat().st_size > 10_000
