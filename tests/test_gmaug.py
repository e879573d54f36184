"""The gmaug study: config checks, the filter and the top-up on planted logits, the ablations' counts, the
gain fit and the published re-fit, the tables, external samples, and the paper config planned."""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from kdgen.config import ConfigError, validate_config
from kdgen.gmaug.fits import PAPER_FIT, fit_gain, from_paper_form, paper_form
from kdgen.gmaug.plan import PLANE_FIGURE_SUPERCLASSES, candidate_counts, generator_seed, gmaug_arms, gmaug_problems, target_counts
from kdgen.gmaug.rebalance import accepted_mask, candidate_scores, class_table, select
from kdgen.studies import config_problems


@pytest.fixture()
def smoke(repo):
    return yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())


def problems_of(config):
    config = validate_config(config)
    return config_problems(config)


def test_the_smoke_and_default_configs_have_no_problems(repo, smoke):
    assert problems_of(smoke) == []
    default = validate_config(yaml.safe_load((repo / "config.yaml").read_text()))
    assert gmaug_problems(default) == []
    assert gmaug_arms(default["gmaug"]) == ["step1"]
    assert gmaug_arms(validate_config(smoke)["gmaug"]) == ["step1", "step2"]


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["gmaug"]["datasets"].update(digits={"subset": "full"}), "gmaug.datasets.digits: the 'digits' source has no super-classes"),
        (lambda c: c["datasets"]["sib_lo"]["options"].update(classes=["triangle.n.01", "square.n.01", "circle.n.01", "star.n.05"]),
         "gmaug.datasets.sib_lo: super-classes conic_section.n.01 (only circle.n.01); star.n.05 (only star.n.05) have one sub-class"),
        (lambda c: (c["gmaug"].update(target=9), c["gmaug"]["datasets"].pop("sib_hi")), "gmaug.target = 9: below the 12 images of the largest class of 'sib_lo' (lt-4)"),
        (lambda c: c["gmaug"]["datasets"]["sib_hi"].update(target=11), "gmaug.datasets.sib_hi.target = 11: below the 12 images"),
        (lambda c: c["gmaug"]["filter"].update(threshold=1.5), "gmaug.filter.threshold = 1.5: a probability threshold lies in [0, 1)"),
        (lambda c: c["gmaug"]["datasets"].update(ghost={"subset": "lt-4"}), "gmaug.datasets.ghost: not a configured dataset"),
        (lambda c: c["gmaug"].update(arch="wrn_15_2"), "gmaug.arch = 'wrn_15_2': WRN depth must be 6n+4"),
        (lambda c: c["gmaug"]["generators"]["cgan"].update(samples="x.npz"), "gmaug.generators.cgan.samples = 'x.npz': only external generators read samples"),
        (lambda c: c["gmaug"]["generators"]["diffusion"].update(widths=[8, 8, 8, 8, 8]), "gmaug.generators.diffusion.widths = [8, 8, 8, 8, 8]: 4 down-samplings"),
        (lambda c: c["gmaug"]["ssim"].update(win_size=6), "gmaug.ssim.win_size = 6: the SSIM window needs an odd side"),
    ],
)
def test_bad_gmaug_settings_are_one_line_each(smoke, mutate, expected):
    mutate(smoke)
    problems = problems_of(smoke)
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda c: c["gmaug"]["generators"]["diffusion"].update(guidance_scale=-1), "gmaug.generators.diffusion.guidance_scale = -1"),
        (lambda c: c["gmaug"]["generators"]["diffusion"].update(lr_g=0.1), "gmaug.generators.diffusion.lr_g = 0.1: unknown key"),
        (lambda c: c["gmaug"]["generators"].update(ext={"family": "external"}), "gmaug.generators.ext.samples is missing"),
        (lambda c: c["gmaug"].update(ablations=["none"]), 'gmaug.ablations[0] = "none"'),
        (lambda c: c["gmaug"]["filter"].update(score="margin"), 'gmaug.filter.score = "margin"'),
    ],
)
def test_gmaug_schema_errors_name_the_key(smoke, mutate, expected):
    mutate(smoke)
    with pytest.raises(ConfigError) as info:
        validate_config(smoke)
    assert expected in str(info.value)


def test_the_plane_figure_superclasses_are_wordnets(wordnet):
    from kdgen.data.wordnet import superclass_below

    root = wordnet.synset("plane_figure.n.01")
    assert {n: superclass_below(wordnet.synset(n), root).name() for n in PLANE_FIGURE_SUPERCLASSES} == PLANE_FIGURE_SUPERCLASSES


def test_targets_and_candidate_counts():
    counts = np.array([10, 6, 3, 10])
    assert target_counts(counts, "max").tolist() == [10, 10, 10, 10]
    assert target_counts(counts, 12).tolist() == [12] * 4
    with pytest.raises(ValueError, match="below the 10 images of the largest class"):
        target_counts(counts, 9)
    assert candidate_counts(counts, np.full(4, 10), 1.5).tolist() == [0, 6, 11, 0]


def planted():
    """Three classes; class 0 lacks 2 images, class 1 lacks 3, class 2 none. Candidates (6 of class 0, 6 of
    class 1) with planted logits: which are right and confident is known."""
    intended = np.array([0] * 6 + [1] * 6)
    logits = np.zeros((12, 3))
    # class 0: candidates 0, 2, 4 right and confident (logit 5), 1 right but unsure (logit 0.4 vs 0), 3 and 5 wrong
    for i, (cls, value) in enumerate([(0, 5), (0, 0.4), (0, 5), (1, 5), (0, 5), (2, 5)]):
        logits[i, cls] = value
    # class 1: only candidates 7 and 11 right and confident
    for i, (cls, value) in zip(range(6, 12), [(0, 5), (1, 5), (2, 5), (0, 5), (2, 5), (1, 5)]):
        logits[i, cls] = value
    return intended, logits, np.array([2, 3, 0])


def test_the_filter_keeps_confident_right_candidates_and_tops_up_in_order():
    intended, logits, missing = planted()
    values, right = candidate_scores(logits, intended, "probability")
    assert right.tolist() == [True, True, True, False, True, False, False, True, False, False, False, True]
    np.testing.assert_allclose(values[0], np.exp(5) / (np.exp(5) + 2))
    accepted = accepted_mask(logits, intended, "probability", 0.9)
    assert np.flatnonzero(accepted).tolist() == [0, 2, 4, 7, 11]  # candidate 1 is right but below 0.9
    assert np.flatnonzero(accepted_mask(logits, intended, "logit", 4.0)).tolist() == [0, 2, 4, 7, 11]
    assert np.flatnonzero(accepted_mask(logits, intended, "logit", 0.3)).tolist() == [0, 1, 2, 4, 7, 11]
    kept = select(intended, missing, "step1", accepted=accepted)
    assert kept.tolist() == [0, 2, 7, 11]  # class 0 needs 2 (the first two accepted), class 1 gets its only 2
    table = class_table(["a", "b", "c"], np.array([8, 7, 10]), np.full(3, 10), intended, kept, accepted)
    assert table["kept"].tolist() == [2, 2, 0] and table["final"].tolist() == [10, 9, 10]
    assert table["accepted"].tolist() == [3, 2, 0]
    np.testing.assert_allclose(table["acceptance"].to_numpy()[:2], [0.5, 1 / 3])
    assert np.isnan(table["acceptance"].iloc[2])


def test_the_ablations_take_unfiltered_and_random_candidates_in_the_filters_counts():
    intended, logits, missing = planted()
    accepted = accepted_mask(logits, intended, "probability", 0.9)
    assert select(intended, missing, "no_filter").tolist() == [0, 1, 6, 7, 8]  # the first missing of each class
    step1 = select(intended, missing, "step1", accepted=accepted)
    like = np.bincount(intended[step1], minlength=3)
    draws = [select(intended, missing, "random", counts_like=like, seed=s) for s in range(20)]
    for kept in draws:
        assert np.bincount(intended[kept], minlength=3).tolist() == like.tolist()
    assert len({tuple(k) for k in draws}) > 1, "the random arm draws differently per seed"
    assert select(intended, missing, "random", counts_like=like, seed=3).tolist() == draws[3].tolist()
    with pytest.raises(ValueError, match="needs step 1's kept counts"):
        select(intended, missing, "random")


def test_the_gain_fit_recovers_known_parameters_and_the_paper_form():
    x = np.array([0.08, 0.12, 0.2, 0.3, 0.38])
    fit = fit_gain(x, 60 * np.exp(-8 * x))
    assert fit.A == pytest.approx(60, rel=1e-6) and fit.k == pytest.approx(8, rel=1e-6) and fit.r2_det == pytest.approx(1)
    b, c = paper_form(fit.A, fit.k)
    assert from_paper_form(b, c) == pytest.approx((fit.A, fit.k))
    noisy = 60 * np.exp(-8 * x) + np.array([1.0, -1.0, 0.5, -0.5, 0.2])
    fit = fit_gain(x, noisy)
    assert fit.A == pytest.approx(60, rel=0.1) and fit.k == pytest.approx(8, rel=0.15)
    fit = fit_gain(x, [-1.0, 2.0, -0.5, 0.1, -0.2])  # gains that do not decay still give a fit (and a poor R^2)
    assert np.isfinite(fit.A) and fit.r2_det < 0.5
    with pytest.raises(ValueError, match="two or more distinct"):
        fit_gain([0.1, 0.1], [3.0, 4.0])


def test_the_published_points_refit_to_the_published_r2(repo):
    paper = pd.read_csv(repo / "reference" / "gmaug_paper.csv")
    fit = fit_gain(paper["ssim_supsubcls"], paper["rel_improvement_pct_cgan"])
    assert fit.r2_corr == pytest.approx(PAPER_FIT["r2_corr"], abs=5e-4)
    assert 150 < fit.A < 200 and 11 < fit.k < 15  # the published curve: A = 140.5, k = 12.5
    A, k = from_paper_form(PAPER_FIT["b"], PAPER_FIT["c"])
    assert A == pytest.approx(140.48, abs=0.01) and k == pytest.approx(12.545, abs=1e-3)


def test_the_gain_table_pairs_seeds_and_the_fit_table_reads_it(tmp_path):
    from kdgen.gmaug import tables

    runs, metrics, tests, classes = [], [], [], {}
    acc = {("a", "original"): [50, 60], ("a", "step1"): [60, 66], ("b", "original"): [40, 40], ("b", "step1"): [40, 44]}
    for (dataset, arm), values in acc.items():
        for seed, top1 in enumerate(values):
            i = len(runs)
            runs.append({"dataset": dataset, "generator": "" if arm == "original" else "cgan", "arm": arm, "seed": seed})
            m, t = tmp_path / f"m{i}.csv", tmp_path / f"t{i}.json"
            pd.DataFrame({"epoch": range(1, 13), "val_top1": [0.0, 0.0] + [float(top1)] * 10}).to_csv(m, index=False)
            t.write_text(json.dumps({"top1": top1 + 1.0}))
            metrics.append(m)
            tests.append(t)
            if arm != "original":
                c = tmp_path / f"c{i}.csv"
                pd.DataFrame({"real": [5, 2], "target": [5, 5], "candidates": [0, 6], "accepted": [0, 3], "kept": [0, 3], "final": [5, 5]}).to_csv(c, index=False)
                classes[i] = c
    frame = tables.run_frame(runs, metrics, tests, classes, last_epochs=10)
    gain = tables.gain_table(frame, {"a": {"ssim_paper": 0.1, "ssim_config": 0.2}, "b": {"ssim_paper": 0.3, "ssim_config": 0.4}})
    row = gain.set_index("dataset").loc["a"]
    assert row["gain_paper"] == pytest.approx(np.mean([20.0, 10.0])) and row["gain_paper_std"] == pytest.approx(np.std([20, 10], ddof=1))
    assert row["gain_ours"] == pytest.approx(np.mean([10 / 51 * 100, 6 / 61 * 100]))
    assert row["acceptance"] == pytest.approx(0.5) and row["generated"] == 3 and row["ssim_config"] == 0.2
    fit = tables.fit_table(gain)
    assert set(fit["ssim"]) == {"paper", "config"} and set(fit["accuracy"]) == {"paper", "ours"}
    assert (fit["n_points"] == 2).all() and fit["spearman_rho"].isna().all()  # rho needs three datasets


def test_external_samples_with_unknown_labels_are_refused(tmp_path):
    from kdgen.gmaug.generators import read_labelled_samples, take_external

    images = np.zeros((4, 8, 8, 3), np.uint8)
    np.savez(tmp_path / "names.npz", images=images, labels=np.array(["circle", "square", "circle", "rhombus"]))
    with pytest.raises(ValueError, match=r"labels \['rhombus'\] name no class of the dataset"):
        read_labelled_samples(tmp_path / "names.npz", ["circle", "square"], 8)
    np.savez(tmp_path / "index.npz", images=images, labels=np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match=r"labels \[2\] are not class indices"):
        read_labelled_samples(tmp_path / "index.npz", ["circle", "square"], 8)
    (tmp_path / "folder" / "hexagon").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"sub-folders \['hexagon'\] name no class"):
        read_labelled_samples(tmp_path / "folder", ["circle", "square"], 8)
    np.savez(tmp_path / "ok.npz", images=images, labels=np.array(["circle", "square", "circle", "circle"]))
    x, y = read_labelled_samples(tmp_path / "ok.npz", ["circle", "square"], 16)
    assert x.shape == (4, 16, 16, 3) and y.tolist() == [0, 1, 0, 0]
    _, taken = take_external(x, y, np.array([2, 3]), log=lambda s: None)
    assert taken.tolist() == [0, 0, 1]  # class 1 has one sample only


def test_generator_seeds_rotate_with_the_classifier_seed():
    g = {"seeds": [0, 1, 2], "generator_seeds": [5, 7]}
    assert [generator_seed(g, s) for s in (0, 1, 2)] == [5, 7, 5]


def test_the_paper_config_plans_through_the_slurm_profile(repo, tmp_path):
    """configs/paper/gmaug.yaml with every root and super-class map pointed at (empty) fixtures: -n plans
    every leaf with both generators, step 2 and both ablations on every dataset, every job on the GPU."""
    text = (repo / "configs/paper/gmaug.yaml").read_text()
    pattern = r"/data/[A-Za-z0-9_./-]+"
    for path in set(re.findall(pattern, text)):
        local = tmp_path / path.lstrip("/")
        if path.endswith(".csv"):
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_text("class,superclass\n")
        else:
            local.mkdir(parents=True, exist_ok=True)
    text = re.sub(pattern, lambda m: str(tmp_path / m.group(0).lstrip("/")), text)
    (tmp_path / "paper.yaml").write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path / "work"),
         "gmaug", "-n", "--profile", str(repo / "profiles/slurm"), "--configfile", str(tmp_path / "paper.yaml")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    paper = validate_config(yaml.safe_load(text))
    g = paper["gmaug"]
    n_data, n_seeds = len(g["datasets"]), len(g["seeds"])
    assert gmaug_arms(g) == ["step1", "step2", "no_filter", "random"]
    assert re.search(rf"^gmaug_generate\s+{2 * n_data}$", proc.stdout, re.M)
    assert re.search(rf"^gmaug_classifier\s+{2 * 4 * n_seeds * n_data}$", proc.stdout, re.M)
    assert re.search(rf"^gmaug_original\s+{n_seeds * n_data}$", proc.stdout, re.M)
    jobs = proc.stdout.split("rule gmaug_generate:")[1:]
    assert jobs and all("gpu=1" in job.split("\n\n")[0] for job in jobs)
    assert "results/gmaug/figures/gain_vs_ssim.png" in proc.stdout and "results/reference/gmaug_paper_fit.csv" in proc.stdout


def test_every_arm_rebalances_with_its_filtering_classifier(monkeypatch):
    """study.rebalance end to end with a stand-in classifier that names an image's brightness class: every
    original stays, sources and ids are recorded, the filter rejects wrong-looking candidates, no_filter takes
    them as drawn, the random arm takes step 1's counts, step 2 reads its own checkpoint, and every class
    reaches its target."""
    import torch

    import kdgen.gmaug.data as study
    from kdgen.data.store import ClassInfo, ImageDataset
    from kdgen.gmaug.data import Imbalanced, original_data, rebalance

    class Brightness(torch.nn.Module):  # the closer the mean brightness to class k's, the larger logit k
        def forward(self, x):
            mean = x.float().mean(dim=(1, 2, 3))[:, None]  # the trainer feeds images scaled to [0, 1]
            return -100 * (mean - torch.tensor([[0.1, 0.5, 0.9]])).abs()

    read = []
    monkeypatch.setattr(study, "load_classifier", lambda path: (read.append(path), (Brightness().eval(), {"meta": {"num_classes": 3}}))[1])

    levels = np.array([25, 128, 230], np.uint8)
    labels = np.array([0] * 6 + [1] * 3 + [2] * 1 + [0, 1, 2] * 4)
    images = np.repeat(levels[labels], 8 * 8 * 3).reshape(-1, 8, 8, 3)
    split = np.array([0] * 10 + [0] * 6 + [1] * 6, np.uint8)
    ds = ImageDataset(images, labels, split, [ClassInfo(n) for n in "abc"], "synthetic")
    data = Imbalanced(ds, {"train": np.arange(10), "val": np.arange(10, 16), "test": np.arange(16, 22)}, np.arange(10))
    # candidates: class 1 asks for 3, class 2 for 5; the first of each class has the wrong brightness
    intended = np.array([1] * 6 + [2] * 10)
    shown = intended.copy()
    shown[[0, 6]] = 0
    candidates = np.repeat(levels[shown], 8 * 8 * 3).reshape(-1, 8, 8, 3)
    filters = {"original": "orig.pt", "step1": "step1.pt"}
    cfg = {"score": "probability", "threshold": 0.9}
    arms = {arm: rebalance(data, candidates, intended, arm, "max", cfg, 0, filters, log=lambda s: None) for arm in ("step1", "step2", "no_filter", "random")}
    for arm, r in arms.items():
        assert sorted(r.origin[r.source == 0]) == list(range(10)), arm
        assert r.classes["final"].tolist() == [6, 6, 6], arm  # enough good candidates: every class reaches 6
        assert len(r.data.train[0]) == 18 and r.data.split_ids("train").max() >= len(images)
    assert arms["step1"].kept.tolist() == [1, 2, 3, 7, 8, 9, 10, 11]  # the wrong-looking first candidates are rejected
    assert arms["no_filter"].kept.tolist() == [0, 1, 2, 6, 7, 8, 9, 10]  # taken as drawn
    assert np.bincount(intended[arms["random"].kept], minlength=3).tolist() == [0, 3, 5]
    assert arms["step2"].kept.tolist() == arms["step1"].kept.tolist()
    assert read == ["orig.pt", "step1.pt", "orig.pt"]  # step1, step2, random (no_filter reads none)
    assert arms["step1"].classes["accepted"].tolist() == [0, 5, 9]
    assert len(original_data(data).train[0]) == 10
