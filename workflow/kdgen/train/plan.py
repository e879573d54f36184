"""The classifier runs a config asks for (``classifiers``; the studies and the distillation students add
theirs through :func:`trained_classifier_runs`), the subsets a dataset defines, and the checks of runs and
datasets that can be made before any job runs. Torch-free: the Snakefile imports this at parse time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kdgen.data.subsets import held_out_counts
from kdgen.models.architectures import architecture_problem
from kdgen.train.policies import policy_problem

RUN_KEYS = ("dataset", "train_subset", "arch", "aug", "seed")


def classifier_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per (classifier, seed): the wildcards of a training run."""
    runs = []
    for c in config.get("classifiers", []):
        for seed in c["seeds"]:
            runs.append({"dataset": c["dataset"], "train_subset": c["subset"], "arch": c["arch"], "aug": c["aug"], "seed": seed})
    return runs


def trained_classifier_runs(
    config: Mapping[str, Any], teachers: Sequence[Mapping[str, Any]] = (), study_runs: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Every classifier run the workflow trains, evaluates and tabulates: the classifiers list, then the
    distillation students' classifier ``teachers`` and the runs the studies add (``study_runs``: the lfkd
    teacher pools and no-KD students, say) that it does not hold, each once, in that order."""
    runs = classifier_runs(config)
    for run in [*({k: t[k] for k in RUN_KEYS} for t in teachers), *study_runs]:
        if run not in runs:
            runs.append(run)
    return runs


def subset_names(spec: Mapping[str, Any]) -> list[str]:
    """The subsets a dataset's config defines: size-N for its ladder, lt-R for its long-tail ratios."""
    return [f"size-{n}" for n in spec["ladder"]] + [f"lt-{r:g}" for r in spec["long_tail"]["ratios"]]

#: images per class of scikit-learn's digits (``load_digits().target``; a test checks them against it)
DIGITS_CLASS_COUNTS = (178, 182, 177, 183, 181, 182, 181, 179, 174, 180)


def train_split_size(spec: Mapping[str, Any]) -> int | None:
    """Images in the train split of a dataset, where the config alone fixes it (the synthetic source:
    train_per_class per class; scikit-learn's digits: its fixed counts less the stratified test hold-out;
    both less the stratified validation hold-out); None for other sources."""
    options = spec["options"]
    if spec["source"] == "synthetic":
        counts = np.full(len(options["classes"]), options["train_per_class"])
    elif spec["source"] == "digits":
        counts = np.asarray(DIGITS_CLASS_COUNTS)
        counts = counts - held_out_counts(counts, float(options.get("test_fraction", 0.2)))
    else:
        return None
    return int((counts - held_out_counts(counts, spec["val_fraction"])).sum())

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

def subset_size(spec: Mapping[str, Any], subset: str) -> int | None:
    """Images in a subset of a dataset where the config fixes the number (full for the synthetic source,
    size-N), else None."""
    if subset == "full":
        return train_split_size(spec)
    if subset.startswith("size-"):
        return int(subset[len("size-"):])
    return None


def run_problems(key: str, run: Mapping[str, Any], datasets: Mapping[str, Any], defaults: str = "") -> list[str]:
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


def study_dataset_problems(study: str, block: Mapping[str, Any], datasets: Mapping[str, Any], aug: str = "none") -> list[str]:
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
                for p in run_problems(key, run, datasets)
            ]
    return list(dict.fromkeys(problems))  # an architecture problem is found once per dataset


def dataset_problems(config: Mapping[str, Any]) -> list[str]:
    """Ladder sizes that exceed the train split of a dataset, where the config fixes its size."""
    problems = []
    datasets = config["datasets"]
    for name, spec in datasets.items():
        available = train_split_size(spec)
        too_big = [n for n in spec["ladder"] if available is not None and n > available]
        if too_big:
            problems.append(
                f"datasets.{name}.ladder = {spec['ladder']}: sizes {too_big} exceed the {available} images of its train "
                "split (less the test and validation hold-outs); use smaller sizes"
                + (" or raise train_per_class" if spec["source"] == "synthetic" else "")
            )
    return problems


def weights_problems(config: Mapping[str, Any]) -> list[str]:
    """``models.weights`` files that do not exist (checked before any job, as clip.weights is)."""
    return [
        f"models.weights.{arch} = {path!r}: no such file; download torchvision's ImageNet weights for {arch} there, "
        "or remove the entry"
        for arch, path in config.get("models", {}).get("weights", {}).items()
        if not Path(path).is_file()
    ]


def validation_problems(config: Mapping[str, Any], datasets_trained: Mapping[str, str]) -> list[str]:
    """Datasets a classifier trains on (``datasets_trained``: name -> what trains there) whose validation
    split is empty (``val_fraction: 0``): every classifier selects its checkpoint on it."""
    return [
        f"datasets.{name}.val_fraction = 0: {what} trains on {name!r} and selects its checkpoint on the validation "
        "split, which would be empty; give a fraction > 0 (e.g. 0.1)"
        for name, what in datasets_trained.items()
        if name in config["datasets"] and config["datasets"][name]["val_fraction"] == 0
    ]


def classifier_problems(config: Mapping[str, Any]) -> list[str]:
    """Problems of the ``classifiers`` list: configured datasets, defined subsets, buildable architectures and
    augmentation policies."""
    problems = []
    datasets = config["datasets"]
    for i, c in enumerate(config.get("classifiers", [])):
        problems += run_problems(f"classifiers[{i}]", c, datasets)
    return problems
