"""The lfkd study's runs and config checks, torch-free (the Snakefile imports this at parse time).

Per dataset, a teacher pool (one classifier run per augmentation, weak and strong, then the ladder levels,
and teacher seed, on the teacher subset), students named in the paper's form ``T1{w|s}_T2{w|s}[_T3{w|s}]_S{w|s}``
distilled from teachers of the pool, and no-KD students trained on the labels with the students' recipe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kdgen.distill.plan import STRENGTHS
from kdgen.plan import StudyPlan
from kdgen.train.plan import study_dataset_problems
from kdgen.train.policies import policy_problem


def parse_config_name(name: str) -> tuple[list[str], str]:
    """The teachers' and the student's augmentations of an lfkd config name ``T1w_T2s_Sw``:
    ``(["weak", "strong"], "weak")``."""
    *teachers, student = name.split("_")
    return [STRENGTHS[t[-1]] for t in teachers], STRENGTHS[student[-1]]


def lfkd_pool(config: Mapping[str, Any], dataset: str) -> list[dict[str, Any]]:
    """The teacher pool of ``dataset`` in the lfkd study: one classifier run per augmentation (weak and
    strong, then the ladder levels) and teacher seed, on the dataset's teacher subset."""
    lfkd = config.get("lfkd", {})
    subset = lfkd["datasets"][dataset]["teacher_subset"]
    augs = ["weak", "strong", *lfkd["ladder"]]
    return [
        {"dataset": dataset, "train_subset": subset, "arch": lfkd["teacher_arch"], "aug": aug, "seed": seed}
        for aug in augs
        for seed in lfkd["teacher_seeds"]
    ]


def lfkd_students(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The students of the lfkd study as ``distill.students`` entries, one per (dataset, config, seed):
    student seed s takes teacher T_k of the config's strength from the pool's seed number
    (s + k - 1) mod (pool seeds), so two teachers of one student are different models and the pairs
    vary with the student's seed."""
    lfkd = config.get("lfkd", {})
    seeds = lfkd.get("teacher_seeds", [])
    students = []
    for dataset, subsets in lfkd.get("datasets", {}).items():
        for name in lfkd["configs"]:
            teacher_augs, aug = parse_config_name(name)
            for s in lfkd["student_seeds"]:
                teachers = [
                    {"arch": lfkd["teacher_arch"], "aug": t_aug, "seed": seeds[(s + k) % len(seeds)], "subset": subsets["teacher_subset"]}
                    for k, t_aug in enumerate(teacher_augs)
                ]
                students.append(
                    {"name": name, "method": "kd", "dataset": dataset, "subset": subsets["student_subset"],
                     "arch": lfkd["student_arch"], "aug": aug, "seeds": [s], "teachers": teachers}
                )
    return students


def lfkd_baselines(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The no-KD students of the lfkd study: classifier runs with the students' recipe (dataset, subset,
    arch, each augmentation a config gives its student, seeds)."""
    lfkd = config.get("lfkd", {})
    runs = []
    for dataset, subsets in lfkd.get("datasets", {}).items():
        augs = sorted({parse_config_name(name)[1] for name in lfkd["configs"]}, key=["weak", "strong"].index)
        for aug in augs:
            for s in lfkd["student_seeds"]:
                runs.append({"dataset": dataset, "train_subset": subsets["student_subset"], "arch": lfkd["student_arch"], "aug": aug, "seed": s})
    return runs


def lfkd_classifier_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The classifier runs of the study beside its students' teachers: every dataset's teacher pool, then
    the no-KD students."""
    pools = [run for dataset in config.get("lfkd", {}).get("datasets", {}) for run in lfkd_pool(config, dataset)]
    return [*pools, *lfkd_baselines(config)]


def lfkd_problems(config: Mapping[str, Any]) -> list[str]:
    """Problems of the lfkd block: unknown datasets, subsets a dataset does not define, architectures and
    ladder levels that cannot be built, an Affinity reference outside the teacher pool."""
    lfkd, datasets = config.get("lfkd", {}), config["datasets"]
    if not lfkd.get("datasets"):
        return []
    problems = study_dataset_problems("lfkd", lfkd, datasets)
    for i, level in enumerate(lfkd["ladder"]):
        problem = policy_problem(level)
        if problem:
            problems.append(f"lfkd.ladder[{i}] = {level!r}: {problem}")
    most = max(len(parse_config_name(name)[0]) for name in lfkd["configs"])
    if len(lfkd["teacher_seeds"]) < most:
        problems.append(
            f"lfkd.teacher_seeds = {lfkd['teacher_seeds']}: a config has {most} teachers, so a strength needs {most} seeds "
            "for them to be different models; add seeds or drop the config"
        )
    pool = ["weak", "strong", *lfkd["ladder"]]
    if lfkd["affinity_reference"] not in pool:
        problems.append(
            f"lfkd.affinity_reference = {lfkd['affinity_reference']!r}: not an augmentation of the teacher pool {pool}; "
            "use one of them (the pool's teachers of that augmentation measure every Affinity)"
        )
    return problems


PLAN = StudyPlan("lfkd", problems=lfkd_problems, students=lfkd_students, classifier_runs=lfkd_classifier_runs)
