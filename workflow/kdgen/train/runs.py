"""The classifier runs a config asks for, and the checks that can be made before any job runs."""

from __future__ import annotations

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
    estimate enough neighbours."""
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
        key = f"classifiers[{i}]"
        if c["dataset"] not in datasets:
            problems.append(f"{key}.dataset = {c['dataset']!r}: not a configured dataset; expected one of {sorted(datasets)}")
        elif c["subset"] != "full" and c["subset"] not in subset_names(datasets[c["dataset"]]):
            known = ["full", *subset_names(datasets[c["dataset"]])]
            problems.append(
                f"{key}.subset = {c['subset']!r}: not a subset of dataset {c['dataset']!r}; expected one of {known} "
                f"(add the size to datasets.{c['dataset']}.ladder or the ratio to its long_tail.ratios)"
            )
        for field, problem in (("arch", architecture_problem(c["arch"])), ("aug", policy_problem(c["aug"]))):
            if problem:
                problems.append(f"{key}.{field} = {c[field]!r}: {problem}")
    return problems
