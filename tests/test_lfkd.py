"""The lfkd study: runs the config asks for, checks before any job, measures on constructed cases,
tables, and the paper-scale config planned through the SLURM profile."""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from kdgen.config import ConfigError, validate_config
from kdgen.lfkd.measures import Observation, student_measures, teacher_pair_rows
from kdgen.lfkd.tables import config_table, grid_rows, teacher_table
from kdgen.tables import mean_std
from kdgen.distill.plan import student_runs
from kdgen.lfkd.plan import lfkd_baselines, lfkd_pool, lfkd_students
from kdgen.studies import all_students, config_problems, trained_classifier_runs


def lfkd_config(**lfkd):
    block = {
        "datasets": {"digits": {"teacher_subset": "full", "student_subset": "size-300"}},
        "teacher_seeds": [0, 1, 2],
        "student_seeds": [0, 1],
        "configs": ["T1w_T2w_Sw", "T1s_T2w_Ss"],
        "ladder": ["ladder-4"],
        **lfkd,
    }
    raw = {"datasets": {"digits": {"source": "digits", "ladder": [100, 300]}}, "lfkd": block}
    return validate_config(raw)


def test_students_take_rotating_teachers_from_the_pool():
    config = lfkd_config()
    students = lfkd_students(config)
    assert len(students) == 2 * 2  # configs x student seeds
    first = next(s for s in students if s["name"] == "T1s_T2w_Ss" and s["seeds"] == [1])
    assert first["aug"] == "strong" and first["subset"] == "size-300"
    # student seed 1: T1 from pool seed number 1, T2 from pool seed number 2
    assert [(t["aug"], t["seed"], t["subset"]) for t in first["teachers"]] == [("strong", 1, "full"), ("weak", 2, "full")]
    last = next(s for s in students if s["name"] == "T1w_T2w_Sw" and s["seeds"] == [1])
    assert [t["seed"] for t in last["teachers"]] == [1, 2]
    wrap = lfkd_students(lfkd_config(teacher_seeds=[5, 7], student_seeds=[1]))
    assert [t["seed"] for t in wrap[0]["teachers"]] == [7, 5]  # (s + k) mod 2 picks seeds by position


def test_pool_and_no_kd_students_join_the_classifier_runs():
    config = lfkd_config()
    pool = lfkd_pool(config, "digits")
    assert {(r["aug"], r["seed"]) for r in pool} == {(a, s) for a in ("weak", "strong", "ladder-4") for s in (0, 1, 2)}
    baselines = lfkd_baselines(config)
    assert [(r["aug"], r["seed"], r["train_subset"]) for r in baselines] == [("weak", 0, "size-300"), ("weak", 1, "size-300"), ("strong", 0, "size-300"), ("strong", 1, "size-300")]
    runs = trained_classifier_runs(config)
    assert all(r in runs for r in pool + baselines)
    assert len(runs) == len({tuple(r.values()) for r in runs}) == 9 + 4
    assert len(student_runs(all_students(config))) == 4
    assert config_problems(config) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"datasets": {"digitz": {"student_subset": "size-300"}}}, "lfkd.datasets.digitz: not a configured dataset"),
        ({"datasets": {"digits": {"student_subset": "size-999"}}}, "lfkd.datasets.digits.student_subset = 'size-999'"),
        ({"ladder": ["ladder-11"]}, "lfkd.ladder[0] = 'ladder-11': ladder level must be 0..10"),
        ({"affinity_reference": "base"}, "lfkd.affinity_reference = 'base': not an augmentation of the teacher pool"),
        ({"teacher_arch": "wrn_15_2"}, "lfkd.teacher_arch = 'wrn_15_2'"),
        ({"teacher_seeds": [0, 1], "configs": ["T1w_T2s_T3w_Sw"]}, "lfkd.teacher_seeds = [0, 1]: a config has 3 teachers"),
    ],
)
def test_bad_lfkd_settings_are_one_line_each(change, message):
    problems = config_problems(lfkd_config(**change))
    assert any(p.startswith(message) for p in problems), problems
    assert len([p for p in problems if p.startswith(message.split(" ")[0])]) == 1


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"configs": ["T1w_T2x_Sw"]}, "lfkd.configs[0]"),
        ({"configs": ["T1w_T3s_Sw"]}, "lfkd.configs[0]"),  # teachers numbered from T1 without gaps
        ({"attention": ["saliency"]}, "lfkd.attention[0]"),
        ({"colour": 1}, "lfkd"),
    ],
)
def test_unknown_config_names_and_attention_methods_stop_validation(change, key):
    with pytest.raises(ConfigError, match=re.escape(key)):
        lfkd_config(**change)


def test_a_distill_student_may_not_share_an_lfkd_students_folder():
    config = lfkd_config()
    clash = {"name": "T1w_T2w_Sw", "dataset": "digits", "subset": "size-300", "arch": "resnet8", "aug": "weak",
             "teachers": [{"arch": "resnet8", "aug": "weak", "subset": "full"}, {"arch": "resnet8", "aug": "weak", "seed": 1, "subset": "full"}]}
    raw = {"datasets": {"digits": {"source": "digits", "ladder": [100, 300]}}, "lfkd": config["lfkd"], "distill": {"students": [clash]}}
    problems = config_problems(validate_config(raw))
    assert any(p.startswith("distill.students[0].name = 'T1w_T2w_Sw': the lfkd study has a student") for p in problems), problems
    assert validate_config({**raw, "distill": {"students": [{**clash, "name": "mine"}]}}) and not config_problems(validate_config({**raw, "distill": {"students": [{**clash, "name": "mine"}]}}))


def observation(pred: list[int], masks: torch.Tensor, k: int = 3) -> Observation:
    logits = torch.full((len(pred), k), -2.0)
    logits[torch.arange(len(pred)), torch.tensor(pred)] = 2.0
    return Observation(logits, {"cam_sum": masks})


def test_student_measures_on_constructed_teachers():
    left = torch.zeros(4, 2, 2, dtype=torch.bool)
    left[:, :, 0] = True
    right = ~left
    labels = torch.tensor([0, 1, 2, 0])
    t1, t2 = observation([0, 1, 2, 0], left), observation([0, 1, 2, 0], right)
    student = observation([0, 1, 2, 1], left)
    row = student_measures(student, [t1, t2], labels, ["cam_sum"], ece_bins=10, seed=0)
    assert row["top1"] == pytest.approx(75.0)
    assert row["fidelity"] == pytest.approx(75.0)  # agrees with the teachers' mean on 3 of 4
    assert row["iou_tt_cam_sum"] == 0.0  # disjoint teachers
    assert row["iou_ts_cam_sum"] == pytest.approx(0.5)  # identical to T1, disjoint from T2
    assert row["coverage_cam_sum"] == pytest.approx(0.5)
    assert row["mi"] > 0 and row["kl"] > 0
    same = student_measures(t1, [t1, t1], labels, ["cam_sum"], ece_bins=10, seed=0)
    # MI of identical predictions is their entropy: 0, 1, 2, 0 -> p = (1/2, 1/4, 1/4)
    assert same["mi"] == pytest.approx(-(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25)))
    assert same["kl"] == pytest.approx(0.0, abs=1e-12) and same["fidelity"] == 100.0
    alone = student_measures(student, [], labels, ["cam_sum"], ece_bins=10, seed=0)
    assert math.isnan(alone["fidelity"]) and math.isnan(alone["iou_tt_cam_sum"]) and alone["top1"] == pytest.approx(75.0)


def test_teacher_pairs_and_tables():
    masks = [torch.zeros(2, 2, 2, dtype=torch.bool) for _ in range(3)]
    masks[0][:, 0] = True
    masks[1][:, 0] = True
    masks[2][:, 1] = True
    pool = {("strong", s): observation([0, 1], m) for s, m in zip((0, 1, 2), masks)}
    pool[("weak", 0)] = observation([0, 1], masks[0])
    pool[("weak", 1)] = observation([0, 1], masks[0])
    pairs = pd.DataFrame(teacher_pair_rows(pool, ["cam_sum"])).assign(dataset="d")
    assert len(pairs) == 3 + 1
    strong = pairs[pairs["aug"] == "strong"].set_index(["seed_a", "seed_b"])["iou_cam_sum"]
    assert strong[0, 1] == 1.0 and strong[0, 2] == 0.0 and strong[1, 2] == 0.0
    teachers = pd.DataFrame(
        [{"dataset": "d", "aug": a, "seed": s, "top1": 50.0 + s, "affinity": 0.8 if a == "strong" else 1.0, "coverage_cam_sum": 0.5} for a, s in pool]
    )
    table = teacher_table(teachers, pairs, ["cam_sum"])
    assert list(table["aug"]) == ["weak", "strong"]  # weakest first
    row = table.set_index("aug").loc["strong"]
    assert row["pairs"] == 3 and row["iou_cam_sum"] == pytest.approx(1 / 3, abs=1e-4) and row["iou_cam_sum_std"] == pytest.approx(np.std([1, 0, 0], ddof=1), abs=1e-4)
    assert row["top1"] == pytest.approx(51.0) and row["affinity"] == 0.8


def test_config_table_averages_seeds():
    rows = []
    for seed, top1 in ((0, 80.0), (1, 90.0)):
        rows.append({"dataset": "d", "config": "T1w_T2w_Sw", "kind": "kd", "aug": "weak", "seed": seed, "top1": top1, "iou_tt_cam_sum": 0.5, "iou_ts_cam_sum": 0.4})
    frame = pd.DataFrame(rows)
    for column in ("test_top1", "overfit_aug", "overfit_clean", "fidelity", "kl", "mi", "mi_knn", "entropy", "entropy_teachers", "ece",
                   "train_top1_aug", "train_top1_clean", "affinity_teachers", "coverage_cam_sum"):
        frame[column] = 1.0
    table = config_table(frame, ["cam_sum"])
    assert len(table) == 1 and table.loc[0, "n"] == 2
    assert table.loc[0, "top1"] == 85.0 and table.loc[0, "top1_std"] == pytest.approx(np.std([80, 90], ddof=1), abs=1e-4)
    assert list(mean_std(frame, ["config"], ["top1"]).columns) == ["config", "n", "top1", "top1_std"]


def test_attention_grid_shows_the_all_weak_and_all_strong_configs():
    models = [
        {"role": "teacher", "aug": "weak", "seed": 0},
        {"role": "student", "kind": "kd", "config": "T1w_T2s_Sw", "seed": 0, "teachers": [["weak", 0], ["strong", 1]]},
        {"role": "student", "kind": "kd", "config": "T1s_T2s_Sw", "seed": 1, "teachers": [["strong", 1], ["strong", 2]]},
        {"role": "student", "kind": "kd", "config": "T1w_T2w_Sw", "seed": 0, "teachers": [["weak", 0], ["weak", 1]]},
        {"role": "student", "kind": "none", "config": "noKD_Sw", "seed": 0, "teachers": []},
    ]
    prefixes = [r.split("|")[1] for r in grid_rows(models)]
    assert prefixes == [
        "teacher/weak/seed-0", "teacher/weak/seed-1", "student/T1w_T2w_Sw/seed-0",
        "teacher/strong/seed-1", "teacher/strong/seed-2", "student/T1s_T2s_Sw/seed-1",
    ]


def test_paper_scale_lfkd_config_plans_through_the_slurm_profile(repo, tmp_path):
    """configs/paper/lfkd.yaml with CIFAR-100 pointed at the (empty) fixture folder and a stand-in weights file: both datasets, the
    eight two-teacher configs and three seeds, every table and figure planned, teachers on the GPU."""
    text = (repo / "configs/paper/lfkd.yaml").read_text()
    (tmp_path / "cifar100").mkdir()
    (tmp_path / "resnet50.pth").write_bytes(b"stand-in: the planner checks that the file exists")
    text = text.replace("/data/cifar100", str(tmp_path / "cifar100")).replace("/data/weights/resnet50-11ad3fa6.pth", str(tmp_path / "resnet50.pth"))
    (tmp_path / "paper.yaml").write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(tmp_path / "work"),
         "lfkd", "-n", "--profile", str(repo / "profiles/slurm"), "--configfile", str(tmp_path / "paper.yaml")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    paper = yaml.safe_load(text)["lfkd"]
    assert len(paper["configs"]) == 8 and all(len(c.split("_")) == 3 for c in paper["configs"])
    students = len(paper["datasets"]) * len(paper["configs"]) * len(paper["student_seeds"])
    assert re.search(rf"^distill_student\s+{students}$", proc.stdout, re.M)
    assert re.search(rf"^lfkd_measures\s+{len(paper['datasets'])}$", proc.stdout, re.M)
    jobs = proc.stdout.split("rule train_classifier:")[1:]
    assert jobs and all("gpu=1" in job.split("\n\n")[0] for job in jobs)
    assert "results/lfkd/tables/configs.csv" in proc.stdout and "results/lfkd/figures/iou_vs_strength.png" in proc.stdout


def test_markdown_view_joins_mean_and_spread():
    from kdgen.tables import readable

    table = pd.DataFrame({"config": ["a", "b"], "top1": [85.0, float("nan")], "top1_std": [7.07107, float("nan")], "kl": [0.5, 0.25]})
    view = readable(table, ["config"], ["top1", "kl"])
    assert view.values.tolist() == [["a", "85.00 ± 7.07", "0.50"], ["b", "", "0.25"]]
