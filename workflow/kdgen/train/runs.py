"""The classifier and distillation runs a config asks for, and the checks that can be made before any
job runs.

A distillation student (``distill.students``) names its teachers as classifier runs: arch, aug and seed,
on the student's dataset and subset unless a teacher names others (a teacher trained on the full train
split for a student of a long-tail subset, say), whose classes must be the student's. The teachers are
trained by the classifier rule like any entry of ``classifiers`` (:func:`trained_classifier_runs`), and
are named T1, T2, ... in the order listed. A student's name is free (letters, digits, underscores); a
name in the lfkd paper's form ``T1{w|s}_T2{w|s}[_T3{w|s}]_S{w|s}`` must say what the run is: one
``T<k>`` per teacher, numbered from 1, w or s as the teacher's augmentation is weak or strong, and the
student's after ``S``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from kdgen.data.subsets import held_out_counts
from kdgen.models.names import architecture_problem
from kdgen.train.policies import policy_problem


def classifier_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per (classifier, seed): the wildcards of a training run."""
    runs = []
    for c in config.get("classifiers", []):
        for seed in c["seeds"]:
            runs.append({"dataset": c["dataset"], "train_subset": c["subset"], "arch": c["arch"], "aug": c["aug"], "seed": seed})
    return runs


def student_teachers(student: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The teachers of a ``distill.students`` entry named T1, T2, ... in the order listed: classifier runs
    (the wildcards of train_classifier; dataset and subset default to the student's), or, in the xkd
    study's students, a crossmodal teacher (``{"crossmodal": arm, "seed": s}``: the T_x of that text arm
    and seed on the student's dataset)."""
    teachers = []
    for k, t in enumerate(student["teachers"], 1):
        if "crossmodal" in t:
            teachers.append({"name": f"T{k}", "crossmodal": t["crossmodal"], "dataset": student["dataset"], "seed": t["seed"]})
            continue
        teachers.append(
            {
                "name": f"T{k}",
                "dataset": t.get("dataset", student["dataset"]),
                "train_subset": t.get("subset", student["subset"]),
                "arch": t["arch"],
                "aug": t["aug"],
                "seed": t["seed"],
            }
        )
    return teachers


def classifier_teachers(student: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The teachers of a student that are classifier runs (all but a crossmodal T_x)."""
    return [t for t in student_teachers(student) if "crossmodal" not in t]


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
                    teachers.append({"crossmodal": arm, "seed": s})
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


def all_students(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every distillation student: ``distill.students``, then the lfkd study's, then the xkd study's."""
    return [*config.get("distill", {}).get("students", []), *lfkd_students(config), *xkd_students(config)]


def student_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per (student, seed): the wildcards of a distillation run."""
    runs = []
    for s in all_students(config):
        for seed in s["seeds"]:
            runs.append(
                {"dataset": s["dataset"], "train_subset": s["subset"], "arch": s["arch"], "aug": s["aug"],
                 "method": s["method"], "student": s["name"], "seed": seed}
            )
    return runs


def find_student(config: Mapping[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
    """The ``distill.students`` entry of a distillation run's wildcards (dataset, train_subset, arch, aug,
    method, student, seed); a run no entry asks for is a ValueError naming it."""
    for s in all_students(config):
        ident = (s["dataset"], s["subset"], s["arch"], s["aug"], s["method"], s["name"])
        if ident == tuple(str(run[k]) for k in ("dataset", "train_subset", "arch", "aug", "method", "student")):
            if int(run["seed"]) in s["seeds"]:
                return dict(s)
    shown = "/".join(str(run[k]) for k in ("dataset", "train_subset", "arch", "aug", "method", "student"))
    raise ValueError(f"no entry of distill.students nor the lfkd study asks for {shown}/seed-{run['seed']}; add it to the config or fix the target")


def trained_classifier_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every classifier run the workflow trains, evaluates and tabulates: the classifiers list, then the
    students' teachers, the lfkd teacher pools and no-KD students that it does not hold."""
    runs = classifier_runs(config)
    pools = [run for dataset in config.get("lfkd", {}).get("datasets", {}) for run in lfkd_pool(config, dataset)]
    teachers = [{k: t[k] for k in ("dataset", "train_subset", "arch", "aug", "seed")} for s in all_students(config) for t in classifier_teachers(s)]
    for run in [*teachers, *pools, *lfkd_baselines(config), *xkd_baselines(config)]:
        if run not in runs:
            runs.append(run)
    return runs


def method_label(student: Mapping[str, Any] | None) -> str:
    """The ``method`` column of the classifier table: ``ce`` for a classifier, ``<method>:<name>`` for a student."""
    return "ce" if student is None else f"{student['method']}:{student['name']}"


def teacher_set_label(student: Mapping[str, Any]) -> str:
    """The teachers of a student, readable: ``T1 tiny/weak/seed-0 + T2 tiny/strong/seed-1`` (a teacher's
    dataset and subset are shown where they are not the student's; a crossmodal one as ``T3 T_x(relaxed)/seed-0``)."""
    parts = []
    for t in student_teachers(student):
        if "crossmodal" in t:
            parts.append(f"{t['name']} T_x({t['crossmodal']})/seed-{t['seed']}")
            continue
        where = "" if (t["dataset"], t["train_subset"]) == (student["dataset"], student["subset"]) else f"{t['dataset']}/{t['train_subset']}/"
        parts.append(f"{t['name']} {where}{t['arch']}/{t['aug']}/seed-{t['seed']}")
    return " + ".join(parts)


def subset_names(spec: Mapping[str, Any]) -> list[str]:
    """The subsets a dataset's config defines: size-N for its ladder, lt-R for its long-tail ratios."""
    return [f"size-{n}" for n in spec["ladder"]] + [f"lt-{r:g}" for r in spec["long_tail"]["ratios"]]


def train_split_size(spec: Mapping[str, Any]) -> int | None:
    """Images in the train split of a dataset, where the config alone fixes it (the synthetic source:
    train_per_class per class, less the stratified validation hold-out); None for other sources."""
    if spec["source"] != "synthetic":
        return None
    options = spec["options"]
    counts = np.full(len(options["classes"]), options["train_per_class"])
    return int((counts - held_out_counts(counts, spec["val_fraction"])).sum())


# classes fixed by the source alone (the synthetic source's come from its options, image folders' from disk)
SOURCE_CLASS_COUNTS = {"digits": 10, "cifar10": 10, "cifar100": 100, "flowers102": 102, "lsun": 1}


def dataset_classes(spec: Mapping[str, Any]) -> tuple[int, tuple[Any, ...]] | None:
    """The number of classes of a dataset and what they are (a value equal for two datasets exactly when
    their classes are the same, in the same order), where the config fixes them; None for image folders."""
    source, options = spec["source"], spec.get("options", {})
    if source == "synthetic":
        return len(options["classes"]), ("synthetic", *options["classes"])
    if source == "celeba":
        attribute = options.get("attribute")
        return (1 if attribute is None else 2), ("celeba", attribute)
    if source == "lsun":
        return 1, ("lsun", options.get("category", "bedroom"))
    if source in SOURCE_CLASS_COUNTS:
        return SOURCE_CLASS_COUNTS[source], (source,)
    return None


PAPER_NAME_FORM = "T1{w|s}_T2{w|s}[_T3{w|s}]_S{w|s}"
PAPER_NAME_SHAPE = re.compile(r"(?:T[0-9]+[A-Za-z]*_)+S[A-Za-z]*")  # anything that reads as the paper's form
STRENGTHS = {"w": "weak", "s": "strong"}


def student_name_problem(name: str, student_aug: str, teacher_augs: list[str]) -> str | None:
    """Why a student's name misleads, or None: a name in the shape of the lfkd paper's
    ``T1{w|s}_T2{w|s}[_T3{w|s}]_S{w|s}`` must number its teachers from T1, have one ``T<k>`` per teacher,
    and mark each model w (weak) or s (strong) as its augmentation is; other names are free."""
    if not PAPER_NAME_SHAPE.fullmatch(name):
        return None
    *teachers, student = name.split("_")
    form = f"names in the lfkd paper's form {PAPER_NAME_FORM}"
    for k, part in enumerate(teachers, 1):
        if not re.fullmatch(rf"T{k}[ws]", part):
            return f"{part!r} should be T{k}w or T{k}s: {form} number the teachers from T1 and mark each w (weak) or s (strong)"
    if not re.fullmatch(r"S[ws]", student):
        return f"{student!r} should be Sw or Ss: {form} end with the student's augmentation, w (weak) or s (strong)"
    if len(teachers) != len(teacher_augs):
        return f"names {len(teachers)} teacher{'s' * (len(teachers) > 1)} but the student lists {len(teacher_augs)}: {form} have one T<k> per teacher"
    for part, aug in zip([*teachers, student], [*teacher_augs, student_aug]):
        if STRENGTHS[part[-1]] != aug:
            model = "the student" if part == student else f"teacher {part[:-1]}"
            return f"{part!r} says {STRENGTHS[part[-1]]}, but {model} is trained with aug {aug!r}: {form} say how each model is augmented"
    return None


def _run_problems(key: str, run: Mapping[str, Any], datasets: Mapping[str, Any], defaults: str = "") -> list[str]:
    """Problems of one run's dataset, subset, arch and aug (``run`` holds the config keys dataset, subset,
    arch, aug); ``defaults`` notes, after a value, that it was taken from elsewhere."""
    problems = []
    if run["dataset"] not in datasets:
        problems.append(f"{key}.dataset = {run['dataset']!r}: not a configured dataset; expected one of {sorted(datasets)}")
    elif run["subset"] != "full" and run["subset"] not in subset_names(datasets[run["dataset"]]):
        known = ["full", *subset_names(datasets[run["dataset"]])]
        problems.append(
            f"{key}.subset = {run['subset']!r}{defaults}: not a subset of dataset {run['dataset']!r}; expected one of {known} "
            f"(add the size to datasets.{run['dataset']}.ladder or the ratio to its long_tail.ratios)"
        )
    for field, problem in (("arch", architecture_problem(run["arch"])), ("aug", policy_problem(run["aug"]))):
        if problem:
            problems.append(f"{key}.{field} = {run[field]!r}: {problem}")
    return problems


def _student_problems(key: str, student: Mapping[str, Any], datasets: Mapping[str, Any]) -> list[str]:
    """Problems of one ``distill.students`` entry: its own run, each teacher's run, the teachers' classes,
    the same teacher listed twice, and a name in the paper's form that does not say what the run is."""
    problems = _run_problems(key, student, datasets)
    mine = dataset_classes(datasets[student["dataset"]]) if student["dataset"] in datasets else None
    seen: dict[tuple[Any, ...], int] = {}
    for j, (t, run) in enumerate(zip(student["teachers"], student_teachers(student))):
        tkey = f"{key}.teachers[{j}]"
        found = _run_problems(tkey, {**t, "dataset": run["dataset"], "subset": run["train_subset"]}, datasets, "" if "subset" in t else " (the student's)")
        # a dataset or subset taken from the student is reported once, for the student
        inherited = [f"{tkey}.dataset"] * ("dataset" not in t) + [f"{tkey}.subset"] * ("dataset" not in t and "subset" not in t)
        problems += [p for p in found if not p.startswith(tuple(inherited))]
        theirs = dataset_classes(datasets[run["dataset"]]) if run["dataset"] in datasets else None
        if mine is not None and theirs is not None and run["dataset"] != student["dataset"]:
            if theirs[0] != mine[0]:
                problems.append(
                    f"{tkey}.dataset = {run['dataset']!r}: {theirs[0]} classes, but the student's dataset {student['dataset']!r} "
                    f"has {mine[0]}; a teacher must predict the student's classes"
                )
            elif theirs[1] != mine[1]:
                problems.append(
                    f"{tkey}.dataset = {run['dataset']!r}: its {theirs[0]} classes are not those of the student's dataset "
                    f"{student['dataset']!r}; a teacher must predict the student's classes, in the same order"
                )
        ident = tuple(run[k] for k in ("dataset", "train_subset", "arch", "aug", "seed"))
        if ident in seen:
            problems.append(f"{tkey}: the same classifier run as teachers[{seen[ident]}] ({'/'.join(map(str, ident))}); use another seed or drop one")
        seen.setdefault(ident, j)
    problem = student_name_problem(student["name"], student["aug"], [t["aug"] for t in student["teachers"]])
    if problem:
        problems.append(f"{key}.name = {student['name']!r}: {problem}")
    return problems


def ganrep_sizes(ganrep: Mapping[str, Any], dataset: str) -> list[int]:
    """The training-set sizes of ``dataset`` in the ganrep study: ``ganrep.sizes`` is one ladder for every
    dataset, or one ladder per dataset (the paper's differ: FLOWER up to 8,189, LSUN up to 30,000)."""
    sizes = ganrep.get("sizes", [])
    return list(sizes.get(dataset, [])) if isinstance(sizes, Mapping) else list(sizes)


def check_runs(config: Mapping[str, Any]) -> list[str]:
    """What the schema cannot see and would otherwise fail inside a job: dataset names that the
    classifiers list and the ganrep study use are configured datasets; architectures and augmentation
    policies can be built; classifier subsets are ones the dataset defines; subset sizes fit the train
    split where the config fixes it; external generators name their samples; ganrep sizes leave the ID
    estimate enough neighbours; distillation students and their teachers are such runs too, teachers
    predict the student's classes, and a student's name in the lfkd paper's form matches its models."""
    problems = []
    datasets = config["datasets"]
    for name, spec in datasets.items():
        available = train_split_size(spec)
        too_big = [n for n in spec["ladder"] if available is not None and n > available]
        if too_big:
            problems.append(
                f"datasets.{name}.ladder = {spec['ladder']}: sizes {too_big} exceed the {available} images of its train "
                "split (train_per_class x classes, less val_fraction); use smaller sizes or raise train_per_class"
            )
    for name, spec in config.get("ganrep", {}).get("generators", {}).items():
        key = f"ganrep.generators.{name}"
        if spec["family"] == "external" and "samples" not in spec:
            problems.append(f"{key}.samples is missing: an external generator needs the path of its samples, e.g. 'samples/{{dataset}}_{{size}}_{{seed}}.npz'")
        if spec["family"] != "external" and "samples" in spec:
            problems.append(f"{key}.samples = {spec['samples']!r}: only external generators read samples; remove it or set family: external")
    g = config.get("ganrep", {})
    if isinstance(g.get("sizes"), Mapping):
        for name in sorted(set(g.get("datasets", [])) - set(g["sizes"])):
            problems.append(f"ganrep.sizes has no ladder for {name!r}: with one ladder per dataset, every one of ganrep.datasets needs one")
        for name in sorted(set(g["sizes"]) - set(g.get("datasets", []))):
            problems.append(f"ganrep.sizes.{name}: not one of ganrep.datasets {g.get('datasets', [])}; add it there or remove the ladder")
    for i, name in enumerate(g.get("datasets", [])):
        if name not in datasets:
            problems.append(f"ganrep.datasets[{i}] = {name!r}: not a configured dataset; expected one of {sorted(datasets)}")
            continue
        sizes = ganrep_sizes(g, name)
        key = f"ganrep.sizes.{name}" if isinstance(g.get("sizes"), Mapping) else "ganrep.sizes"
        if g.get("generators") and sizes:
            k_max, smallest = max(g["id_k"]), min(sizes)
            if smallest <= k_max:
                problems.append(
                    f"{key} holds {smallest}: the ID estimate needs more than k_max = {k_max} images "
                    f"(ganrep.id_k = {g['id_k']}); use sizes above {k_max} or a smaller id_k"
                )
            elif g["id_bootstrap"] > 0 and smallest < 3 * (k_max + 1):
                problems.append(
                    f"{key} holds {smallest} with ganrep.id_bootstrap = {g['id_bootstrap']}: a resample keeps about "
                    f"63% distinct images, so bootstrapped IDs need sets of at least {3 * (k_max + 1)}; "
                    "use larger sizes or id_bootstrap: 0"
                )
        available = train_split_size(datasets[name])
        too_big = [n for n in sizes if available is not None and n > available]
        if too_big:
            problems.append(
                f"{key} = {sizes}: sizes {too_big} exceed the {available} images of the train split of {name!r}; "
                f"use smaller sizes or raise datasets.{name}.options.train_per_class"
            )
    if g.get("generators"):
        problem = architecture_problem(g["fid_classifier"])
        if problem:
            problems.append(f"ganrep.fid_classifier = {g['fid_classifier']!r}: {problem}")
    for i, c in enumerate(config.get("classifiers", [])):
        problems += _run_problems(f"classifiers[{i}]", c, datasets)
    students: dict[tuple[Any, ...], int] = {}
    for i, student in enumerate(config.get("distill", {}).get("students", [])):
        key = f"distill.students[{i}]"
        problems += _student_problems(key, student, datasets)
        ident = tuple(student[k] for k in ("dataset", "subset", "arch", "aug", "method", "name"))
        if ident in students:
            problems.append(
                f"{key}.name = {student['name']!r}: distill.students[{students[ident]}] has the same dataset, subset, arch, aug "
                "and name, and so the same output folder; give one of them another name"
            )
        students.setdefault(ident, i)
    for study, generated in (("lfkd", lfkd_students(config)), ("xkd", xkd_students(config))):
        for student in generated:
            ident = tuple(student[k] for k in ("dataset", "subset", "arch", "aug", "method", "name"))
            if ident in students:
                problems.append(
                    f"distill.students[{students[ident]}].name = {student['name']!r}: the {study} study has a student with the same "
                    "dataset, subset, arch, aug and name, and so the same output folder; give the distill entry another name"
                )
    return problems + _lfkd_problems(config.get("lfkd", {}), datasets) + _xkd_problems(config, datasets)


def subset_size(spec: Mapping[str, Any], subset: str) -> int | None:
    """Images in a subset of a dataset where the config fixes the number (full for the synthetic source,
    size-N), else None."""
    if subset == "full":
        return train_split_size(spec)
    if subset.startswith("size-"):
        return int(subset[len("size-"):])
    return None


def _xkd_problems(config: Mapping[str, Any], datasets: Mapping[str, Any]) -> list[str]:
    """Problems of the xkd and clip blocks: datasets and subsets, architectures, the CLIP architecture and
    its weights file, a dataset the compact CLIP cannot caption, more k-means clusters than images."""
    from kdgen.xkd.names import COMPACT_CLIP, WEIGHTS_HINT, clip_arch_problem

    xkd, clip = config.get("xkd", {}), config.get("clip", {})
    if not xkd.get("datasets"):
        return []
    problems = _study_dataset_problems("xkd", xkd, datasets, xkd["student_aug"])
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


def _study_dataset_problems(study: str, block: Mapping[str, Any], datasets: Mapping[str, Any], aug: str = "none") -> list[str]:
    """Problems of a study's ``datasets`` (lfkd, xkd): each one configured, and its teachers' and students'
    subset and architecture (``<study>.teacher_arch``, ``student_arch``; with ``aug``, ``<study>.student_aug``)
    buildable, each problem once."""
    problems = []
    for name, subsets in block["datasets"].items():
        key = f"{study}.datasets.{name}"
        if name not in datasets:
            problems.append(f"{key}: not a configured dataset; expected one of {sorted(datasets)}")
            continue
        for role in ("teacher", "student"):
            run = {"dataset": name, "subset": subsets[f"{role}_subset"], "arch": block[f"{role}_arch"], "aug": aug}
            problems += [
                p.replace(f"{key}.subset", f"{key}.{role}_subset").replace(f"{key}.arch", f"{study}.{role}_arch").replace(f"{key}.aug", f"{study}.student_aug")
                for p in _run_problems(key, run, datasets)
            ]
    return list(dict.fromkeys(problems))  # an architecture problem is found once per dataset


def _lfkd_problems(lfkd: Mapping[str, Any], datasets: Mapping[str, Any]) -> list[str]:
    """Problems of the lfkd block: unknown datasets, subsets a dataset does not define, architectures and
    ladder levels that cannot be built, an Affinity reference outside the teacher pool."""
    if not lfkd.get("datasets"):
        return []
    problems = _study_dataset_problems("lfkd", lfkd, datasets)
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
