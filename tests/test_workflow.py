"""The workflow as a user runs it: plan the default DAG, run the smoke config end to end."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kdgen.config import validate_config
from kdgen.data.store import load_dataset

pytestmark = pytest.mark.workflow


def snakemake(repo: Path, workdir: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(workdir), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def classifier_run_dirs(config: dict) -> list[str]:
    """The classifier runs: the classifiers list and the teachers of distill.students (once each)."""
    runs = [
        (c["dataset"], c.get("subset", "full"), c["arch"], c.get("aug", "none"), seed)
        for c in config.get("classifiers", [])
        for seed in c.get("seeds", [0])
    ]
    for s in config.get("distill", {}).get("students", []):
        for t in s["teachers"]:
            run = (t.get("dataset", s["dataset"]), t.get("subset", s.get("subset", "full")), t["arch"], t.get("aug", "none"), t.get("seed", 0))
            runs += [run] * (run not in runs)
    lfkd = config.get("lfkd", {})
    for ds, subsets in lfkd.get("datasets", {}).items():
        for aug in ["weak", "strong", *lfkd.get("ladder", [])]:  # the teacher pool
            for seed in lfkd.get("teacher_seeds", [0, 1, 2]):
                run = (ds, subsets.get("teacher_subset", "full"), lfkd.get("teacher_arch", "resnet8"), aug, seed)
                runs += [run] * (run not in runs)
        for aug in sorted({"weak" if c.endswith("Sw") else "strong" for c in lfkd["configs"]}, reverse=True):  # no-KD students
            for seed in lfkd.get("student_seeds", [0]):
                run = (ds, subsets.get("student_subset", "full"), lfkd.get("student_arch", "resnet8"), aug, seed)
                runs += [run] * (run not in runs)
    xkd = config.get("xkd", {})
    for ds, subsets in xkd.get("datasets", {}).items():
        pool = xkd.get("teacher_seeds", [0, 1, 2])
        for seed in xkd.get("seeds", [0]):
            for k, aug in enumerate(("weak", "strong")):  # T_m, rotating with the student's seed
                run = (ds, subsets.get("teacher_subset", "full"), xkd.get("teacher_arch", "resnet8"), aug, pool[(seed + k) % len(pool)])
                runs += [run] * (run not in runs)
            run = (ds, subsets.get("student_subset", "full"), xkd.get("student_arch", "resnet8"), xkd.get("student_aug", "strong"), seed)
            runs += [run] * (run not in runs)  # the no-KD student
    return ["results/train/{}/{}/{}/{}/seed-{}".format(*run) for run in runs]


def student_run_dirs(config: dict) -> list[str]:
    return [
        f"results/distill/{s['dataset']}/{s.get('subset', 'full')}/{s['arch']}/{s.get('aug', 'none')}/{s.get('method', 'kd')}/{s['name']}/seed-{seed}"
        for s in config.get("distill", {}).get("students", [])
        for seed in s.get("seeds", [0])
    ] + [
        f"results/distill/{ds}/{subsets.get('student_subset', 'full')}/{lfkd.get('student_arch', 'resnet8')}/"
        f"{'weak' if name.endswith('Sw') else 'strong'}/kd/{name}/seed-{seed}"
        for lfkd in [config.get("lfkd", {})]
        for ds, subsets in lfkd.get("datasets", {}).items()
        for name in lfkd["configs"]
        for seed in lfkd.get("student_seeds", [0])
    ] + [
        f"results/distill/{ds}/{subsets.get('student_subset', 'full')}/{xkd.get('student_arch', 'resnet8')}/"
        f"{xkd.get('student_aug', 'strong')}/kd/{name}/seed-{seed}"
        for xkd in [config.get("xkd", {})]
        for ds, subsets in xkd.get("datasets", {}).items()
        for name in ["Tm", *[f"Tm_Tx_{arm}" for arm in xkd.get("students", ["exact", "relaxed"])]]
        for seed in xkd.get("seeds", [0])
    ]


def expected_targets(config: dict) -> list[str]:
    targets = []
    for name, spec in config["datasets"].items():
        base = f"results/data/{name}"
        targets += [f"{base}/manifest.json", f"{base}/splits.npz", f"{base}/hierarchy.csv"]
        targets += [f"{base}/subsets/size-{n}.npy" for n in spec.get("ladder", [])]
        targets += [f"{base}/subsets/lt-{r:g}.npy" for r in spec.get("long_tail", {}).get("ratios", [])]
        targets += [f"{base}/card/{f}" for f in ("samples.png", "samples.pdf", "class_counts.png", "class_counts.pdf", "split_counts.csv", "split_counts.md")]
    targets += ["results/train/tables/model_zoo.csv", "results/train/tables/model_zoo.md", "results/config/resolved.yaml"]
    targets += [f"results/reference/ganrep_paper_fit.{ext}" for ext in ("csv", "md", "png", "pdf")]
    ganrep = config.get("ganrep", {})
    if ganrep.get("generators"):
        for table in ("runs", "summary", "fits", "one_shot", "minimal_size"):
            targets += [f"results/ganrep/tables/{table}.{ext}" for ext in ("csv", "md")]
        for fig in ("replication_vs_id", "replication_vs_size", "one_shot", "fid_vs_size", "nearest_neighbours"):
            targets += [f"results/ganrep/figures/{fig}.{ext}" for ext in ("png", "pdf")]
        for gen in ganrep["generators"]:
            for ds in ganrep["datasets"]:
                for size in ganrep["sizes"]:
                    run = f"results/ganrep/{gen}/{ds}/size-{size}/seed-0"
                    targets += [f"{run}/{f}" for f in ("generator.pt", "losses.csv", "samples.npz", "replication.json", "neighbours.npz", "fid.json")]
    run_files = ("best.pt", "last.pt", "metrics.csv", "timing.csv", "eval-val.json", "eval-test.json", "learning_curve.png", "learning_curve.pdf")
    for run in classifier_run_dirs(config):
        targets += [f"{run}/{f}" for f in run_files]
    for run in student_run_dirs(config):
        targets += [f"{run}/{f}" for f in (*run_files, "teachers.json")]
    lfkd = config.get("lfkd", {})
    if lfkd.get("datasets"):
        targets += [f"results/lfkd/tables/{t}.{ext}" for t in ("configs", "teachers") for ext in ("csv", "md")]
        for fig in ("iou_vs_strength", "overfitting_vs_iou", "fidelity_vs_top1", *[f"attention_grid_{ds}" for ds in lfkd["datasets"]]):
            targets += [f"results/lfkd/figures/{fig}.{ext}" for ext in ("png", "pdf")]
    xkd = config.get("xkd", {})
    if xkd.get("datasets"):
        for name in ("main", "leakage", "mix_sweep", "noise_sweep"):
            targets += [f"results/xkd/tables/{name}.{ext}" for ext in ("csv", "md")] + [f"results/xkd/figures/{name}.{ext}" for ext in ("png", "pdf")]
        for ds in xkd["datasets"]:
            targets += [f"results/xkd/tables/vocabulary_{ds}.{ext}" for ext in ("csv", "md")]
            targets += [f"results/xkd/figures/{f}_{ds}.{ext}" for f in ("vocabulary", "retrievals", "clip") for ext in ("png", "pdf")]
        targets += [f"results/reference/xkd_paper_fit.{ext}" for ext in ("csv", "md")]
    gmaug = config.get("gmaug", {})
    if gmaug.get("datasets"):
        targets += [f"results/gmaug/tables/{t}.{ext}" for t in ("runs", "gain", "ssim", "fit") for ext in ("csv", "md")]
        targets += [f"results/gmaug/figures/gain_vs_ssim.{ext}" for ext in ("png", "pdf")]
        for ds in gmaug["datasets"]:
            targets += [f"results/gmaug/figures/{f}_{ds}.{ext}" for f in ("samples", "learning_curves", "class_counts") for ext in ("png", "pdf")]
        targets += [f"results/reference/gmaug_paper_fit.{ext}" for ext in ("csv", "md", "png", "pdf")]
    if config.get("classifiers") or student_run_dirs(config):
        targets += ["results/train/tables/classifiers.csv", "results/train/tables/classifiers.md"]
    targets += [f"results/scorecard.{ext}" for ext in ("csv", "md", "png", "pdf")]
    return targets


def test_dry_run_of_the_default_config_plans_every_target(repo, tmp_path):
    proc = snakemake(repo, tmp_path, "-n", "--forceall", "--configfile", str(repo / "config.yaml"))
    planned = set()
    for line in proc.stdout.splitlines():
        if line.strip().startswith("output:"):
            planned.update(p.strip() for p in line.split(":", 1)[1].split(","))
    config = yaml.safe_load((repo / "config.yaml").read_text())
    missing = [t for t in expected_targets(config) if t not in planned]
    assert not missing, f"not planned: {missing}"
    assert "results/wordnet/provenance.json" in planned
    # no noise: no "Shell command: None" for script rules, no input listed twice by one job
    assert "Shell command" not in proc.stdout
    for line in proc.stdout.splitlines():
        if line.strip().startswith("input:"):
            inputs = [p.strip() for p in line.split(":", 1)[1].split(",")]
            assert len(inputs) == len(set(inputs)), f"repeated inputs: {line[:300]}"


@pytest.mark.parametrize(
    "target",
    [
        "results/data/shapez/card/samples.png",  # a dataset that is not configured
        "results/train/digits/full/resnet9/none/seed-0/best.pt",  # an architecture the zoo does not have
        "results/train/digits/full/resnet8/ladder-99x/seed-0/best.pt",  # not an augmentation policy
        "results/ganrep/bigan/shapes/size-24/seed-0/samples.npz",  # a generator that is not configured
        "results/distill/digits/full/tiny/weak/kd/T1w_T2w_T3w_Sw/seed-0/best.pt",  # a student that is not configured
        "results/distill/digits/full/tiny/weak/dkd/T1w_T2s_Sw/seed-0/best.pt",  # not a distillation method
    ],
)
def test_a_misspelt_target_has_no_rule_to_produce_it(repo, tmp_path, target):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path), target, "-n"]
    proc = subprocess.run([*cmd, "--configfile", str(repo / "configs" / "smoke.yaml")], capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "MissingRuleException" in out and f"No rule to produce {target}" in out, out[-2000:]
    assert "KeyError" not in out and "InputFunctionException" not in out


def test_the_workflow_can_be_used_as_a_module(repo, tmp_path):
    """A host Snakefile elsewhere imports kdgen as a module and plans its whole DAG (published
    reference data and captions found from the module's folder, not the host's)."""
    (tmp_path / "Snakefile").write_text(
        f'configfile: "{repo / "configs" / "smoke.yaml"}"\n\n\n'
        f'module kdgen:\n    snakefile:\n        "{repo / "Snakefile"}"\n    config:\n        config\n\n\n'
        "use rule * from kdgen as kdgen_*\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(tmp_path / "Snakefile"), "--directory", str(tmp_path), "-n", "--forceall"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    for target in expected_targets(config) + [str(repo / "reference" / "ganrep_paper.csv")]:
        assert target in proc.stdout, target
    assert "kdgen_ganrep_paper_fit" in proc.stdout and "kdgen_all" in proc.stdout


def test_a_clone_runs_its_own_library(repo, tmp_path):
    """Two clones: the copy's jobs import the copy's workflow/kdgen, not the library installed in the
    Python that runs snakemake (which points at this checkout)."""
    copy = tmp_path / "clone"
    files = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((repo / name).read_bytes())
    marker = tmp_path / "imports.txt"
    init = copy / "workflow" / "kdgen" / "__init__.py"
    init.write_text(init.read_text() + "\nimport os as _os\n\nwith open(_os.environ['KDGEN_IMPORT_MARK'], 'a') as _fh:\n    _fh.write(__file__ + '\\n')\n")
    env = {**os.environ, "KDGEN_IMPORT_MARK": str(marker)}
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(copy / "Snakefile"), "--directory", str(tmp_path / "work"),
         "results/config/resolved.yaml", "--cores", "1", "--configfile", str(copy / "configs" / "smoke.yaml")],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = marker.read_text().splitlines()
    assert len(imported) >= 2, imported  # snakemake's own process and the job's script
    assert set(imported) == {str(init)}, imported
    resolved = yaml.safe_load((tmp_path / "work/results/config/resolved.yaml").read_text())
    assert resolved["ganrep"]["main_alpha"] == 8000 and resolved["datasets"]["digits"]["val_fraction"] == 0.1


# the tests of the smoke build run on one worker, the one that builds it (pytest-xdist's loadgroup)
SMOKE = pytest.mark.xdist_group("smoke")


@pytest.fixture(scope="module")
def smoke_run(repo, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("smoke")
    snakemake(repo, workdir, "--cores", "2", "--configfile", str(repo / "configs" / "smoke.yaml"))
    return workdir


@SMOKE
def test_smoke_config_builds_every_target(repo, smoke_run):
    config = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    for target in expected_targets(config):
        assert (smoke_run / target).is_file() and (smoke_run / target).stat().st_size > 0, target
    manifest = json.loads((smoke_run / "results/data/shapes/manifest.json").read_text())
    assert manifest["image_shape"] == [16, 16, 3] and manifest["counts"] == {"train": 80, "test": 20}
    assert {c["superclass"] for c in manifest["classes"]} == {"polygon", "conic_section"}
    ds = load_dataset(smoke_run / "results/data/shapes/images.npz", smoke_run / "results/data/shapes/manifest.json")
    with np.load(smoke_run / "results/data/shapes/splits.npz") as splits:
        train, val = splits["train"], splits["val"]
    lt = np.load(smoke_run / "results/data/shapes/subsets/lt-5.npy")
    assert set(lt) <= set(train) and not set(lt) & set(val)
    assert np.bincount(ds.labels[lt]).tolist() == [16, 9, 5, 3]  # floor(16 * 5^(-i/3))
    small, big = (np.load(smoke_run / f"results/data/shapes/subsets/size-{n}.npy") for n in (12, 40))
    assert set(small) < set(big) <= set(train)
    table = (smoke_run / "results/data/shapes/card/split_counts.csv").read_text().splitlines()
    assert table[0] == "class_index,class,superclass,train,val,test,total" and table[-1] == ",all,,64,16,20,100"
    for log in ("materialise.log", "split.log", "card.log"):
        assert (smoke_run / "results/logs/data/shapes" / log).is_file()
    assert not list((smoke_run / "results").rglob(".*partial*"))
    run = smoke_run / "results/train/digits/full/tiny/weak/seed-0"
    assert not (run / ".resume").exists()  # the resumable state is dropped once training is done
    metrics = (run / "metrics.csv").read_text().splitlines()
    assert len(metrics) == 3 and metrics[0].startswith("epoch,lr,train_loss,train_ce,train_top1,val_loss,val_top1,val_top5")
    evaluation = json.loads((run / "eval-test.json").read_text())
    assert evaluation["split"] == "test" and evaluation["arch"] == "tiny" and 0 <= evaluation["top1"] <= 100
    table = pd.read_csv(smoke_run / "results/train/tables/classifiers.csv", keep_default_na=False)
    # the classifiers, the teacher only the student names (tiny strong seed 1, on the student's subset), the
    # student, the lfkd pool (weak and strong on the full split, seeds 0 and 1: weak seed 0 is the
    # classifier), its no-KD student and its students
    assert table[["dataset", "subset", "aug", "method", "seeds", "epochs"]].values.tolist() == [
        ["digits", "full", "strong", "ce", 2, 2], ["digits", "full", "weak", "ce", 2, 2],
        ["digits", "size-50", "strong", "ce", 1, 2], ["digits", "size-50", "weak", "ce", 1, 2],
        ["digits", "size-50", "weak", "kd:T1s_T2s_Sw", 1, 2], ["digits", "size-50", "weak", "kd:T1w_T2s_Sw", 1, 2],
        ["digits", "size-50", "weak", "kd:T1w_T2w_Sw", 1, 2], ["shapes", "full", "none", "ce", 1, 2],
        # the xkd study: T_m (weak seed 0, strong seed 1), the no-KD student and the students of T_m with and without T_x
        ["shapes", "full", "strong", "ce", 1, 2], ["shapes", "full", "weak", "ce", 1, 2], ["shapes", "size-40", "strong", "ce", 1, 2],
        ["shapes", "size-40", "strong", "kd:Tm", 1, 2], ["shapes", "size-40", "strong", "kd:Tm_Tx_exact", 1, 2],
        ["shapes", "size-40", "strong", "kd:Tm_Tx_relaxed", 1, 2],
    ]
    assert table["teachers"].tolist()[-1] == "T1 shapes/full/tiny/weak/seed-0 + T2 shapes/full/tiny/strong/seed-1 + T3 T_x(relaxed)/seed-0"
    assert table["teachers"].tolist()[5] == "T1 digits/full/tiny/weak/seed-0 + T2 tiny/strong/seed-1"
    assert table["teachers"].tolist()[6] == "T1 digits/full/tiny/weak/seed-0 + T2 digits/full/tiny/weak/seed-1"
    student = smoke_run / "results/distill/digits/size-50/tiny/weak/kd/T1w_T2s_Sw/seed-0"
    assert not (student / ".resume").exists()
    header = (student / "metrics.csv").read_text().splitlines()[0].split(",")
    assert {"train_kd_ce", "train_kd_kl", "train_ce", "train_kl_T1", "train_kl_T2", "val_top1"} <= set(header)
    listing = json.loads((student / "teachers.json").read_text())
    assert (listing["method"], listing["name"], listing["alpha"], listing["temperature"], listing["teacher_mode"]) == ("kd", "T1w_T2s_Sw", 0.6, 3, "eval")
    assert [(t["name"], t["aug"], t["seed"], t["checkpoint"]) for t in listing["teachers"]] == [
        ("T1", "weak", 0, "results/train/digits/full/tiny/weak/seed-0/best.pt"), ("T2", "strong", 1, "results/train/digits/size-50/tiny/strong/seed-1/best.pt")
    ]
    evaluation = json.loads((student / "eval-test.json").read_text())
    assert evaluation["split"] == "test" and evaluation["method"] == "kd" and evaluation["student"] == "T1w_T2s_Sw"
    runs = pd.read_csv(smoke_run / "results/ganrep/tables/runs.csv")
    assert len(runs) == 4 and set(runs["generator"]) == {"biggan", "stylegan2"}
    assert runs["extractor"].str.contains("not Inception").all()
    assert runs[["feat_rep_pct_ratio", "feat_agree_pct"]].apply(lambda c: c.between(0, 100).all()).all()
    assert runs[[f"rep_pct_alpha{a}" for a in (7000, 8000, 9000, 10000)]].apply(lambda r: r.is_monotonic_increasing, axis=1).all()
    samples = np.load(smoke_run / "results/ganrep/biggan/shapes/size-24/seed-0/samples.npz")["samples"]
    assert samples.shape == (32, 8, 8, 3) and samples.dtype == np.uint8
    # FID is scored against each run's own training subset by default (the authors' protocol)
    assert (runs["fid_reference"] == "training subset").all()
    fid = json.loads((smoke_run / "results/ganrep/biggan/shapes/size-24/seed-0/fid.json").read_text())
    assert fid["reference_images"] == 24
    summary = pd.read_csv(smoke_run / "results/ganrep/tables/summary.csv")
    assert len(summary) == 4 and {"rep_pct", "rep_std", "ratio_pct", "fid_std", "seeds"} <= set(summary.columns)
    fits = pd.read_csv(smoke_run / "results/ganrep/tables/fits.csv")
    assert {"excluded", "spearman_rho_size", "curves_pooled"} <= set(fits.columns)
    assert list(fits.columns[:8]) == ["generator", "dataset", "a", "b", "c", "r2_corr", "r2_det", "n_points"]


@SMOKE
def test_smoke_scorecard_has_a_row_for_every_claim(repo, smoke_run):
    """The smoke run scores all 14 claims (gmaug's per generator); every inconclusive row says why (its n
    or its interval); the report lists the scorecard first."""
    card = pd.read_csv(smoke_run / "results/scorecard.csv", keep_default_na=False, na_values=[""])
    ids = ["R1", "R2", "R3", "R4", "L1", "L2", "L3", "L4", "X1", "X2", "X3", "X4", "G1", "G2"]
    assert list(dict.fromkeys(card["claim"])) == ids
    smoke = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    assert sorted(card.loc[card["claim"] == "G1", "variant"]) == sorted(smoke["gmaug"]["generators"])
    assert (card["scale"] == "smoke").all() and card["verdict"].isin(["holds", "fails", "inconclusive"]).all()
    for row in card[card["verdict"] == "inconclusive"].itertuples():
        assert "at least" in row.why or "spans 0" in row.why or "contains" in row.why or "no " in row.why, row
    md = (smoke_run / "results/scorecard.md").read_text()
    assert md.startswith("# Reproduction scorecard (smoke)") and all(f"| {c} |" in md for c in ids)


@SMOKE
def test_smoke_config_measures_every_lfkd_model(repo, smoke_run):
    lfkd = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())["lfkd"]
    students = pd.read_csv(smoke_run / "results/lfkd/digits/students.csv")
    assert sorted(students["config"].unique()) == sorted([*lfkd["configs"], "noKD_Sw"])
    assert len(students) == (len(lfkd["configs"]) + 1) * len(lfkd["student_seeds"])
    kd = students[students["kind"] == "kd"]
    for column in ("top1", "test_top1", "fidelity", "train_top1_aug", "train_top1_clean"):
        assert students[column].dropna().between(0, 100).all() and kd[column].notna().all(), column
    assert (kd["mi"] >= 0).all() and (kd["kl"] >= 0).all() and kd["ece"].between(0, 1).all()
    assert np.allclose(students["overfit_clean"], students["train_top1_clean"] - students["val_top1"], atol=1e-5)
    for method in ("cam_sum", "cam_pred", "gradcam"):
        assert kd[f"iou_tt_{method}"].between(0, 1).all() and kd[f"iou_ts_{method}"].between(0, 1).all()
    assert students[students["kind"] == "none"]["fidelity"].isna().all()
    assert kd.loc[kd["config"] == "T1s_T2s_Sw", "teachers"].tolist() == ["T1 strong/seed-0 + T2 strong/seed-1"]
    pairs = pd.read_csv(smoke_run / "results/lfkd/digits/teacher_pairs.csv")
    assert pairs["aug"].tolist() == ["weak", "strong", *lfkd["ladder"]]  # one pair of two seeds each
    teachers = pd.read_csv(smoke_run / "results/lfkd/tables/teachers.csv")
    assert teachers["aug"].tolist() == ["weak", "strong", *lfkd["ladder"]] and (teachers["affinity"] > 0).all()
    table = pd.read_csv(smoke_run / "results/lfkd/tables/configs.csv")
    assert len(table) == len(lfkd["configs"]) + 1 and (table["n"] == len(lfkd["student_seeds"])).all()
    with np.load(smoke_run / "results/lfkd/digits/attention_maps.npz") as maps:
        assert maps["images"].shape[0] == lfkd["grid_images"] and "student/T1w_T2w_Sw/seed-0/cam_sum" in maps.files
        assert maps["student/T1w_T2w_Sw/seed-0/gradcam"].shape == (lfkd["grid_images"], 16, 16)
    assert (smoke_run / "results/logs/lfkd/digits/measures.log").is_file()


@SMOKE
def test_smoke_config_builds_every_xkd_leaf_and_shows_the_leak(repo, smoke_run):
    """The xkd branch of the smoke config: the compact CLIP, embeddings by id, the vocabulary, every T_x arm,
    the students with T_x as their third teacher; the exact class name leaks the label (T_x top-1 100%)."""
    config = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    xkd, base = config["xkd"], smoke_run / "results/xkd/shapes"
    with np.load(base / "clip/embeddings.npz") as z:
        assert z["image"].shape[0] == 100 and np.allclose(np.linalg.norm(z["image"], axis=1), 1, atol=1e-5)
        assert z["class_text"].shape == (4, z["image"].shape[1]) and list(z["class_names"]) == ["triangle", "square", "circle", "ellipse"]
        assert (z["ids"] == np.arange(100)).all()
    captions = pd.read_csv(base / "clip/captions.csv")
    assert len(captions) == 100 and set(captions["split"]) == {"train", "val", "test"}
    assert captions.loc[captions["label"] == 0, "caption"].str.contains("triangle|trigon|trilateral").all()  # a lemma of triangle.n.01
    retrieval = json.loads((base / "clip/retrieval.json").read_text())
    assert retrieval["n_pairs"] == 20 and 0 <= retrieval["i2t_r1"] <= 100
    teachers = pd.read_csv(base / "teachers.csv")
    arms = ["exact", "relaxed", *[f"mix{x}" for x in xkd["arms"]["mix"]], *[f"noise{p}" for p in xkd["arms"]["noise"]]]
    assert sorted(teachers["arm"]) == sorted(arms)
    exact = teachers.set_index("arm").loc["exact"]
    assert exact["test_top1"] == 100.0  # the label leaks through the class name
    # IG is complete: attributions sum to the logit difference (within 5% here, where a T_x trained for 60 steps
    # has logit differences near zero; tests/test_xkd_crossmodal.py checks 1% on a trained head, the default 0.1%)
    assert teachers["image_share"].between(0, 1).all() and (teachers["ig_delta"] < 0.05).all()
    students = pd.read_csv(base / "students.csv", keep_default_na=False)
    assert sorted(students["student"]) == ["Tm", "Tm_Tx_exact", "Tm_Tx_relaxed", "noKD"]
    listing = json.loads((smoke_run / "results/distill/shapes/size-40/tiny/strong/kd/Tm_Tx_relaxed/seed-0/teachers.json").read_text())
    assert [t["name"] for t in listing["teachers"]] == ["T1", "T2", "T3"]
    assert listing["teachers"][2]["crossmodal"] == "relaxed" and listing["teachers"][2]["checkpoint"] == "results/xkd/shapes/teachers/relaxed/seed-0/best.pt"
    leakage = pd.read_csv(smoke_run / "results/xkd/tables/leakage.csv")
    ours = leakage[leakage["source"] == "this run"].set_index("text")
    assert ours.loc["exact", "tx_top1_mean"] == 100.0 and ours.loc["relaxed", "student_top1_mean"] >= 0
    assert leakage["source"].str.startswith("paper").sum() == 4
    mix = pd.read_csv(smoke_run / "results/xkd/tables/mix_sweep.csv")
    assert mix["relaxed_percent"].tolist() == [0, 100] and mix["image_share_mean"].notna().all()
    vocabulary = pd.read_csv(smoke_run / "results/xkd/tables/vocabulary_shapes.csv")
    assert vocabulary.groupby("cluster").size().max() <= xkd["vocabulary"]["per_cluster"]
    assert vocabulary["cluster"].nunique() <= xkd["vocabulary"]["clusters"]
    for log in ("clip_pretrain.log", "embed.log", "candidates.log", "vocabulary.log", "teacher_measures.log", "teachers/exact/seed-0.log"):
        assert (smoke_run / "results/logs/xkd/shapes" / log).is_file(), log


@SMOKE
def test_smoke_config_builds_every_gmaug_leaf(repo, smoke_run):
    """The gmaug branch of the smoke config: SSIM-supSubCls per dataset, the original classifiers, both generators'
    candidates, the re-balanced training sets (originals kept, every image's source recorded, no class past
    its target), step 2 filtered by the step-1 classifier, and the tables."""
    config = validate_config(yaml.safe_load((repo / "configs" / "smoke.yaml").read_text()))
    g = config["gmaug"]
    ssim = pd.read_csv(smoke_run / "results/gmaug/tables/ssim.csv")
    assert set(ssim["protocol"]) == {"paper", "config"} and set(ssim["dataset"]) == set(g["datasets"])
    best = ssim[ssim["superclass"] != "max"].groupby(["dataset", "protocol"])["mean"].max()
    assert np.allclose(ssim[ssim["superclass"] == "max"].set_index(["dataset", "protocol"])["mean"].sort_index(), best.sort_index())
    gain = pd.read_csv(smoke_run / "results/gmaug/tables/gain.csv")
    assert len(gain) == len(g["datasets"]) * len(g["generators"]) * 2 and set(gain["arm"]) == {"step1", "step2"}
    for ds in g["datasets"]:
        subset = np.load(smoke_run / f"results/data/{ds}/subsets/{g['datasets'][ds]['subset']}.npy")
        for gen in g["generators"]:
            run = smoke_run / f"results/gmaug/{ds}/classifiers/{gen}"
            with np.load(smoke_run / f"results/gmaug/{ds}/generators/{gen}/seed-0/candidates.npz") as c:
                assert c["images"].dtype == np.uint8 and len(c["images"]) == len(c["labels"])
            for arm in ("step1", "step2"):
                with np.load(run / f"{arm}/seed-0/selection.npz") as sel:
                    real = sel["source"] == 0
                    assert sorted(sel["origin"][real]) == sorted(subset)  # every original stays
                    assert (sel["origin"][~real] == sel["kept"]).all()
                classes = pd.read_csv(run / f"{arm}/seed-0/classes.csv")
                assert (classes["final"] <= classes["target"]).all() and (classes["kept"] <= classes["accepted"]).all()
                assert (classes["accepted"] <= classes["candidates"]).all()
    assert (smoke_run / "results/gmaug/sib_lo/classifiers/original/seed-0/eval-test.json").is_file()
    fit = pd.read_csv(smoke_run / "results/gmaug/tables/fit.csv")
    assert set(fit["generator"]) == set(g["generators"]) and (fit["n_points"] == 2).all()
    paper = pd.read_csv(smoke_run / "results/reference/gmaug_paper_fit.csv").set_index("fit")
    assert paper.loc["re-fit (least squares)", "r2_corr"] == pytest.approx(0.8749, abs=5e-4)
    for log in ("ssim.log", "generators/cgan/seed-0/train.log", "classifiers/diffusion/step2/seed-0/train.log"):
        assert (smoke_run / "results/logs/gmaug/sib_lo" / log).is_file(), log


@SMOKE
def test_rerun_is_a_no_op_and_a_report_can_be_built(repo, smoke_run):
    proc = snakemake(repo, smoke_run, "--cores", "2", "--configfile", str(repo / "configs" / "smoke.yaml"))
    assert "Nothing to be done" in proc.stdout + proc.stderr
    snakemake(repo, smoke_run, "--configfile", str(repo / "configs" / "smoke.yaml"), "--report", "results/report.html")
    html = (smoke_run / "results/report.html").read_text(errors="replace")
    assert "samples.png" in html and "class_counts.png" in html
    # every leaf table, the resolved config, and one caption per ganrep figure
    for item in ("classifiers.csv", "model_zoo.csv", "split_counts.csv", "runs.csv", "fits.csv", "one_shot.csv", "minimal_size.csv", "resolved.yaml", "scorecard.csv", "scorecard.png"):
        assert item in html, item
    assert "1. Scorecard" in html  # the category the report's menu sorts first
    captions = [(repo / "workflow/report/ganrep" / f"{f}.rst").read_text().split()[:4] for f in ("replication_vs_size", "nearest_neighbours", "fid_vs_size")]
    assert len({" ".join(c) for c in captions}) == 3


@SMOKE
def test_distilling_again_leaves_the_teachers_unchanged(repo, smoke_run):
    """A student run reads its teachers' best.pt and never writes them: their bytes are the same before and
    after (and as teachers.json recorded them), no teacher is retrained, and the student's metrics repeat."""
    from kdgen.runtime import file_sha256

    student = smoke_run / "results/distill/digits/size-50/tiny/weak/kd/T1w_T2s_Sw/seed-0"
    listing = json.loads((student / "teachers.json").read_text())["teachers"]
    paths = [smoke_run / t["checkpoint"] for t in listing]
    before = [(file_sha256(p), p.stat().st_mtime_ns) for p in paths]
    assert [h for h, _ in before] == [t["sha256"] for t in listing]
    metrics = (student / "metrics.csv").read_bytes()
    proc = snakemake(repo, smoke_run, str(student.relative_to(smoke_run) / "metrics.csv"), "--cores", "2", "--forcerun", "distill_student", "--configfile", str(repo / "configs" / "smoke.yaml"))
    log = proc.stdout + proc.stderr
    assert "rule distill_student:" in log and "rule train_classifier:" not in log
    assert [(file_sha256(p), p.stat().st_mtime_ns) for p in paths] == before
    assert [t["sha256"] for t in json.loads((student / "teachers.json").read_text())["teachers"]] == [h for h, _ in before]
    assert (student / "metrics.csv").read_bytes() == metrics  # deterministic: the same config gives the same bytes


def test_one_figure_builds_alone_and_identically(repo, tmp_path):
    target = "results/data/shapes/card/samples.png"
    # targets go before --configfile, which takes several values
    proc = snakemake(repo, tmp_path, target, "--cores", "2", "--configfile", str(repo / "configs" / "smoke.yaml"))
    assert (tmp_path / target).is_file()
    assert not (tmp_path / "results/data/digits").exists()  # nothing else was built
    assert not (tmp_path / "results/train").exists()
    # the card of the dataset is one job: the target's siblings come with it
    assert (tmp_path / "results/data/shapes/card/class_counts.png").is_file() and "localrule card:" in proc.stderr
    # same config and seed: byte-identical data, independent of the working folder
    again = tmp_path / "again"
    snakemake(repo, again, "results/data/shapes/splits.npz", "--cores", "2", "--configfile", str(repo / "configs" / "smoke.yaml"))
    for name in ("images.npz", "splits.npz"):
        a = (again / "results/data/shapes" / name).read_bytes()
        b = (tmp_path / "results/data/shapes" / name).read_bytes()
        assert a == b, name
    # the report of this partial build: the documented command reports what exists and nothing else
    snakemake(repo, tmp_path, "built", "--configfile", str(repo / "configs" / "smoke.yaml"), "--report", "results/report.html")
    html = (tmp_path / "results/report.html").read_text(errors="replace")
    assert "samples.png" in html and "class_counts.png" in html  # the card of shapes, built
    assert "learning_curve.png" not in html and "results/data/digits" not in html  # nothing that was not built


def test_the_scorecard_of_a_partial_build_scores_what_exists(repo, tmp_path):
    """With scorecard.studies: built the scorecard needs no study: in an empty folder every claim is a
    row marked not built, saying why; nothing else is built."""
    config = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    config["scorecard"]["studies"] = "built"
    path = tmp_path / "built.yaml"
    path.write_text(yaml.safe_dump(config))
    snakemake(repo, tmp_path, "scorecard", "--cores", "2", "--configfile", str(path))
    card = pd.read_csv(tmp_path / "results/scorecard.csv", keep_default_na=False, na_values=[""])
    assert list(dict.fromkeys(card["claim"])) == ["R1", "R2", "R3", "R4", "L1", "L2", "L3", "L4", "X1", "X2", "X3", "X4", "G1", "G2"]
    assert (card["verdict"] == "not built").all() and card["why"].str.contains("tables do not exist yet").all()
    assert not (tmp_path / "results/data").exists()
    assert (tmp_path / "results/scorecard.png").stat().st_size > 10_000


def test_a_killed_run_resumes_from_its_last_epoch_after_unlock(repo, tmp_path):
    """SIGKILL a run mid-training: the next run stops at Snakemake's lock (its convention), `--unlock`
    lifts it, and the run then continues the training from its last finished epoch (README, Reliability)."""
    import signal
    import time

    config = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    config["training"]["epochs"] = 40
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(config))
    run = tmp_path / "results/train/digits/full/tiny/weak/seed-0"
    cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path)]
    target = [str(run.relative_to(tmp_path) / "metrics.csv"), "--cores", "1", "--configfile", str(path)]
    proc = subprocess.Popen(cmd + target, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while not (run / ".resume" / "state.pt").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (run / ".resume" / "state.pt").exists() and not (run / "metrics.csv").exists()
    locked = subprocess.run(cmd + target, capture_output=True, text=True, timeout=300)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    snakemake(repo, tmp_path, *target, "--unlock")
    snakemake(repo, tmp_path, *target)
    log = (tmp_path / "results/logs/train/digits/full/tiny/weak/seed-0/train.log").read_text()
    assert "resuming after epoch" in log
    assert len((run / "metrics.csv").read_text().splitlines()) == 41  # every epoch once, header included


def test_download_is_opt_in_and_feeds_materialisation(repo, tmp_path):
    config = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    config["datasets"] = {"c10": {"source": "cifar10", "options": {"download": True}}}
    config["classifiers"] = []
    config["ganrep"] = {}
    config.pop("distill", None)  # its students train on the smoke datasets
    config.pop("lfkd", None)  # so do the lfkd study's
    config.pop("xkd", None)  # and the xkd study's
    config.pop("gmaug", None)  # and the gmaug study's
    path = tmp_path / "dl.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = snakemake(repo, tmp_path, "results/data/c10/manifest.json", "-n", "--configfile", str(path))
    assert "download_dataset" in proc.stdout and "results/downloads/c10" in proc.stdout
    proc = snakemake(repo, tmp_path, "-n", "--configfile", str(repo / "configs" / "smoke.yaml"))
    assert "download_dataset" not in proc.stdout


def test_external_generator_samples_enter_the_same_analysis(repo, tmp_path):
    """Samples made elsewhere (here: copies of training images) go through replication, FID and the tables."""
    from kdgen.data.sources import rgb_at

    config = yaml.safe_load((repo / "configs" / "smoke.yaml").read_text())
    work = tmp_path / "work"
    subsets = [f"results/data/shapes/subsets/size-{size}.npy" for size in config["ganrep"]["sizes"]]
    snakemake(repo, work, *subsets, "--cores", "2", "--configfile", str(repo / "configs" / "smoke.yaml"))
    ds = load_dataset(work / "results/data/shapes/images.npz", work / "results/data/shapes/manifest.json")
    for size in config["ganrep"]["sizes"]:
        subset = np.load(work / f"results/data/shapes/subsets/size-{size}.npy")
        np.savez(tmp_path / f"shapes_{size}_0.npz", samples=rgb_at(ds.images[subset], config["ganrep"]["image_size"]))
    config["ganrep"]["generators"] = {"official": {"family": "external", "samples": str(tmp_path / "{dataset}_{size}_{seed}.npz")}}
    config["ganrep"]["fid_reference"] = "train_split"
    path = tmp_path / "external.yaml"
    path.write_text(yaml.safe_dump(config))
    snakemake(repo, work, "results/ganrep/tables/runs.csv", "--cores", "2", "--configfile", str(path))
    runs = pd.read_csv(work / "results/ganrep/tables/runs.csv")
    assert set(runs["generator"]) == {"official"} and (runs["rep_pct_alpha8000"] == 100.0).all()
    # copies are copies in the classifier's feature space too, of the same training image
    assert (runs["feat_rep_pct_ratio"] == 100.0).all() and (runs["feat_agree_pct"] == 100.0).all()
    assert not list(work.rglob("generator.pt"))  # nothing was trained for an external generator
    assert (runs["fid_reference"] == "train_split").all()  # the reference set follows the config
    fid = json.loads((work / "results/ganrep/official/shapes/size-24/seed-0/fid.json").read_text())
    assert fid["reference_images"] == 64  # the whole train split of the smoke shapes
    config["ganrep"]["generators"] = {"official": {"family": "external"}}
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(work), "-n", "--configfile", str(path)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode != 0 and "ganrep.generators.official.samples is missing" in proc.stderr


def test_paper_scale_ganrep_config_plans_through_the_slurm_profile(repo, tmp_path):
    """configs/paper/ganrep.yaml with its roots pointed at (empty) fixture folders: the published ladders
    per dataset, both families on a GPU, every table and figure of the study planned."""
    text = (repo / "configs/paper/ganrep.yaml").read_text()
    for name in ("flowers102", "celeba", "lsun"):
        (tmp_path / name).mkdir()
        text = text.replace(f"/data/{name}", str(tmp_path / name))
    config = tmp_path / "paper.yaml"
    config.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path / "work"),
         "ganrep", "-n", "--profile", str(repo / "profiles/slurm"), "--configfile", str(config)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    out = proc.stdout
    paper = yaml.safe_load(text)["ganrep"]
    runs = sum(len(s) for s in paper["sizes"].values()) * len(paper["seeds"]) * len(paper["generators"])
    assert re.search(rf"^ganrep_train\s+{runs}$", out, re.M)
    for ds in paper["datasets"]:  # replication and FID: one job per dataset
        assert re.search(rf"^ganrep_fid_{ds}\s+1$", out, re.M) and re.search(rf"^ganrep_replication_{ds}\s+1$", out, re.M)
    assert "results/ganrep/biggan/flowers/size-8189/seed-2/samples.npz" in out  # all 8,189 Flowers images
    assert "results/ganrep/stylegan2/lsun/size-30000/seed-0/samples.npz" in out
    train_jobs = out.split("rule ganrep_train:")[1:]
    assert train_jobs and all("gpu=1" in job.split("\n\n")[0] for job in train_jobs)
    for target in ("results/ganrep/tables/minimal_size.csv", "results/ganrep/figures/replication_vs_id.png"):
        assert target in out
