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
    """Dataset names that the classifiers list and the ganrep study use must be configured datasets."""
    problems = []
    for name, spec in config.get("ganrep", {}).get("generators", {}).items():
        key = f"ganrep.generators.{name}"
        if spec["family"] == "external" and "samples" not in spec:
            problems.append(f"{key}.samples is missing: an external generator needs the path of its samples, e.g. 'samples/{{dataset}}_{{size}}_{{seed}}.npz'")
        if spec["family"] != "external" and "samples" in spec:
            problems.append(f"{key}.samples = {spec['samples']!r}: only external generators read samples; remove it or set family: external")
    for i, name in enumerate(config.get("ganrep", {}).get("datasets", [])):
        if name not in config["datasets"]:
            problems.append(f"ganrep.datasets[{i}] = {name!r}: not a configured dataset; expected one of {sorted(config['datasets'])}")
    for i, c in enumerate(config.get("classifiers", [])):
        if c["dataset"] not in config["datasets"]:
            problems.append(
                f"classifiers[{i}].dataset = {c['dataset']!r}: not a configured dataset; expected one of {sorted(config['datasets'])}"
            )
    return problems
