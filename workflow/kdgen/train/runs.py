"""The classifier runs a config asks for, and the checks that can be made before any job runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def classifier_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per (classifier, seed): the wildcards of a training run."""
    runs = []
    for c in config.get("classifiers", []):
        for seed in c["seeds"]:
            runs.append({"dataset": c["dataset"], "train_subset": c["subset"], "arch": c["arch"], "aug": c["aug"], "seed": seed})
    return runs


def check_classifiers(config: Mapping[str, Any]) -> list[str]:
    """Dataset names that the classifiers list and the ganrep study use must be configured datasets;
    external generators name their samples; ganrep sizes leave the ID estimate enough neighbours."""
    problems = []
    for name, spec in config.get("ganrep", {}).get("generators", {}).items():
        key = f"ganrep.generators.{name}"
        if spec["family"] == "external" and "samples" not in spec:
            problems.append(f"{key}.samples is missing: an external generator needs the path of its samples, e.g. 'samples/{{dataset}}_{{size}}_{{seed}}.npz'")
        if spec["family"] != "external" and "samples" in spec:
            problems.append(f"{key}.samples = {spec['samples']!r}: only external generators read samples; remove it or set family: external")
    g = config.get("ganrep", {})
    if g.get("generators") and g.get("sizes"):
        k_max, smallest = max(g["id_k"]), min(g["sizes"])
        if smallest <= k_max:
            problems.append(
                f"ganrep.sizes holds {smallest}: the ID estimate needs more than k_max = {k_max} images "
                f"(ganrep.id_k = {g['id_k']}); use sizes above {k_max} or a smaller id_k"
            )
        elif g["id_bootstrap"] > 0 and smallest < 3 * (k_max + 1):
            problems.append(
                f"ganrep.sizes holds {smallest} with ganrep.id_bootstrap = {g['id_bootstrap']}: a resample keeps about "
                f"63% distinct images, so bootstrapped IDs need sets of at least {3 * (k_max + 1)}; "
                "use larger sizes or id_bootstrap: 0"
            )
    for i, name in enumerate(g.get("datasets", [])):
        if name not in config["datasets"]:
            problems.append(f"ganrep.datasets[{i}] = {name!r}: not a configured dataset; expected one of {sorted(config['datasets'])}")
    for i, c in enumerate(config.get("classifiers", [])):
        if c["dataset"] not in config["datasets"]:
            problems.append(
                f"classifiers[{i}].dataset = {c['dataset']!r}: not a configured dataset; expected one of {sorted(config['datasets'])}"
            )
    return problems
