"""The ganrep study's runs and config checks, torch-free (the Snakefile imports this at parse time).

A run is one GAN (a built-in family, or an external generator's samples) trained on one subset of a
dataset's nested size ladder with one seed; its samples are scored for replication and FID, and the ID of
every subset is estimated once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kdgen.models.architectures import architecture_problem
from kdgen.plan import StudyPlan
from kdgen.train.plan import train_split_size


def ganrep_sizes(ganrep: Mapping[str, Any], dataset: str) -> list[int]:
    """The training-set sizes of ``dataset`` in the ganrep study: ``ganrep.sizes`` is one ladder for every
    dataset, or one ladder per dataset (the paper's differ: FLOWER up to 8,189, LSUN up to 30,000)."""
    sizes = ganrep.get("sizes", [])
    return list(sizes.get(dataset, [])) if isinstance(sizes, Mapping) else list(sizes)


def ganrep_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every run of the study: one per generator, dataset, size of its ladder and seed."""
    g = config["ganrep"]
    return [
        {"generator": gen, "dataset": ds, "size": size, "seed": seed}
        for gen in g["generators"]
        for ds in g["datasets"]
        for size in ganrep_sizes(g, ds)
        for seed in g["seeds"]
    ]


def ganrep_problems(config: Mapping[str, Any]) -> list[str]:
    """What the schema cannot see: external generators name their samples (and only they do), per-dataset
    ladders match ganrep.datasets, datasets are configured, sizes leave the ID estimate enough neighbours and
    fit the train split, and the FID classifier can be built."""
    problems = []
    datasets = config["datasets"]
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
    return problems


PLAN = StudyPlan("ganrep", problems=ganrep_problems)
