"""The xkd study's runs and config checks, torch-free (the Snakefile imports this at parse time).

Per dataset: crossmodal teachers T_x, one per text arm (exact and relaxed class text, mixes, noise
levels, image-only, text-only) and seed; students of T_m alone (a weak and a strong classifier teacher)
and of T_m + the T_x of each arm in ``xkd.students``; no-KD students with the students' recipe. T_x is a
teacher kind of its own (:data:`CROSSMODAL_TEACHER`): a ``{"crossmodal": arm, "seed": s}`` entry of a
student's teachers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from kdgen.distill.plan import TeacherKind
from kdgen.plan import StudyPlan
from kdgen.train.plan import study_dataset_problems, subset_size
from kdgen.xkd.clip_architectures import COMPACT_CLIP, WEIGHTS_HINT, clip_arch_problem

#: the key of a student's teacher entry that names a T_x (its text arm): the crossmodal teacher kind's key
CROSSMODAL = "crossmodal"
#: the folder of one T_x (the xkd_teacher rule's outputs)
TEACHER_DIR = "results/xkd/{dataset}/teachers/{arm}/seed-{seed}"
#: the CLIP folder of a dataset: the compact CLIP the workflow pretrains, and the embeddings
CLIP_DIR = "results/xkd/{dataset}/clip"


def xkd_arms(config: Mapping[str, Any]) -> list[str]:
    """The T_x text arms of the xkd study: exact and relaxed, the mixes and noise levels (a mix of 0% is the
    relaxed arm, of 100% the exact one; noise 0% is the exact arm), image-only and text-only, and every arm
    a student asks for."""
    xkd = config.get("xkd", {})
    arms = xkd.get("arms", {})
    names = ["exact", "relaxed"]
    names += [f"mix{x}" for x in sorted(arms.get("mix", [])) if 0 < x < 100]
    noise = "permute" if arms.get("noise_mode", "redraw") == "permute" else "noise"
    names += [f"{noise}{p}" for p in sorted(arms.get("noise", [])) if p > 0]
    names += ["image"] * bool(arms.get("image_only", True)) + ["text"] * bool(arms.get("text_only", True))
    names += xkd.get("students", [])
    return list(dict.fromkeys(canonical_arm(n) for n in names))


def canonical_arm(name: str) -> str:
    """The arm a name trains: mix0 is relaxed, mix100 and noise0 / permute0 are exact."""
    if name == "mix0":
        return "relaxed"
    if name in ("mix100", "noise0", "permute0"):
        return "exact"
    return name


def xkd_image_teachers(config: Mapping[str, Any], dataset: str, seed: int) -> list[dict[str, Any]]:
    """T_m of an xkd student of ``seed``: a weak and a strong classifier run on the teacher subset, of
    teacher seed number s mod n and (s + 1) mod n (with lfkd's settings, runs of its pool)."""
    xkd = config["xkd"]
    seeds, subset = xkd["teacher_seeds"], xkd["datasets"][dataset]["teacher_subset"]
    return [
        {"arch": xkd["teacher_arch"], "aug": aug, "seed": seeds[(seed + k) % len(seeds)], "subset": subset}
        for k, aug in enumerate(("weak", "strong"))
    ]


def xkd_student_name(arm: str | None) -> str:
    """An xkd student's name: ``Tm`` (T_m alone) or ``Tm_Tx_<arm>``."""
    return "Tm" if arm is None else f"Tm_Tx_{canonical_arm(arm)}"


def xkd_students(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The students of the xkd study as ``distill.students`` entries, per dataset and seed: T_m alone,
    and T_m + the T_x of each arm in ``xkd.students`` (of the student's seed)."""
    xkd = config.get("xkd", {})
    students = []
    for dataset, subsets in xkd.get("datasets", {}).items():
        arms = [None, *dict.fromkeys(canonical_arm(a) for a in xkd["students"])]
        for arm in arms:
            for s in xkd["seeds"]:
                teachers = xkd_image_teachers(config, dataset, s)
                if arm is not None:
                    teachers.append({CROSSMODAL: arm, "seed": s})
                students.append(
                    {"name": xkd_student_name(arm), "method": "kd", "dataset": dataset, "subset": subsets["student_subset"],
                     "arch": xkd["student_arch"], "aug": xkd["student_aug"], "seeds": [s], "teachers": teachers}
                )
    return students


def xkd_baselines(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The no-KD students of the xkd study: classifier runs with the students' recipe."""
    xkd = config.get("xkd", {})
    return [
        {"dataset": dataset, "train_subset": subsets["student_subset"], "arch": xkd["student_arch"], "aug": xkd["student_aug"], "seed": s}
        for dataset, subsets in xkd.get("datasets", {}).items()
        for s in xkd["seeds"]
    ]


def crossmodal_inputs(teacher: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, str]:
    """What a student's distillation job reads for a T_x beside its checkpoint: the CLIP embeddings it
    looks its batches up in and, for the augmented view with the compact CLIP, that CLIP."""
    inputs = {"embeddings": f"{CLIP_DIR}/embeddings.npz".format(dataset=teacher["dataset"])}
    if config["xkd"]["view"] == "augmented" and config["clip"]["weights"] is None:
        inputs["clip"] = f"{CLIP_DIR}/best.pt".format(dataset=teacher["dataset"])
    return inputs


CROSSMODAL_TEACHER = TeacherKind(
    key=CROSSMODAL,
    label=lambda t: f"T_x({t[CROSSMODAL]})",
    checkpoint=lambda t: f"{TEACHER_DIR}/best.pt".format(dataset=t["dataset"], arm=t[CROSSMODAL], seed=t["seed"]),
    inputs=crossmodal_inputs,
    settings=lambda config: {"view": config["xkd"]["view"], "clip": config["clip"], "device": config["device"]},
    builder="kdgen.xkd.io:distillation_teacher",
)


def xkd_problems(config: Mapping[str, Any]) -> list[str]:
    """Problems of the xkd and clip blocks: datasets and subsets, architectures, the CLIP architecture and
    its weights file, a dataset the compact CLIP cannot caption, more k-means clusters than images."""
    xkd, clip, datasets = config.get("xkd", {}), config.get("clip", {}), config["datasets"]
    if not xkd.get("datasets"):
        return []
    problems = study_dataset_problems("xkd", xkd, datasets, xkd["student_aug"])
    for name, subsets in xkd["datasets"].items():
        key = f"xkd.datasets.{name}"
        if name not in datasets:
            continue
        if clip.get("weights") is None and datasets[name]["source"] != "synthetic":
            problems.append(
                f"{key}: the compact CLIP (clip.weights: null) is pretrained on captions written from the classes' WordNet synsets, "
                f"which only the synthetic source has, not {datasets[name]['source']!r}; give clip.weights (a pretrained CLIP) "
                "or use a synthetic dataset"
            )
        images = subset_size(datasets[name], subsets["teacher_subset"])
        k = xkd["vocabulary"]["clusters"]
        if xkd["vocabulary"]["mode"] == "tac" and images is not None and k > images:
            problems.append(
                f"xkd.vocabulary.clusters = {k}: more clusters than the {images} training images of {name!r} "
                f"({subsets['teacher_subset']}); use at most {images}"
            )
    problem = clip_arch_problem(clip["arch"])
    if problem:
        problems.append(f"clip.arch = {clip['arch']!r}: {problem}")
    weights = clip.get("weights")
    if weights is None and clip["arch"] != COMPACT_CLIP and not problem:
        problems.append(
            f"clip.weights is null with clip.arch = {clip['arch']!r}: the workflow pretrains only the compact CLIP "
            f"({COMPACT_CLIP!r}); give a local weights file for {clip['arch']!r} ({WEIGHTS_HINT})"
        )
    if weights is not None and not os.path.isfile(weights):
        problems.append(f"clip.weights = {weights!r}: no such file; expected open_clip weights for {clip['arch']!r} ({WEIGHTS_HINT})")
    return problems


PLAN = StudyPlan(
    "xkd", problems=xkd_problems, students=xkd_students, classifier_runs=xkd_baselines, teacher_kinds=(CROSSMODAL_TEACHER,)
)
