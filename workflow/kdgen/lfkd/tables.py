"""The lfkd study's tables, torch-free: the rows :mod:`kdgen.lfkd.measures` writes per dataset, summed up per
config (students) and per augmentation (the teacher pool) as mean and std over seeds or pairs, and their
Markdown views (the main measures as ``mean ± std``; every column and its std is in the CSV)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from kdgen.tables import mean_std, readable


def strength_order(aug: str) -> tuple[int, int]:
    """A sort key for the pool's augmentations: weak, strong, then the ladder by level."""
    if aug.startswith("ladder-"):
        return (2, int(aug.split("-")[1]))
    return ({"weak": 0, "strong": 1}.get(aug, 3), 0)


STUDENT_COLUMNS = [
    "top1", "test_top1", "overfit_aug", "overfit_clean", "fidelity", "kl", "mi", "mi_knn", "entropy",
    "entropy_teachers", "ece", "train_top1_aug", "train_top1_clean", "affinity_teachers",
]


def config_table(students: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """Per dataset and config: every student measure (with the mean Affinity of its teachers'
    augmentations), the IoUs and mask coverage by attention method, mean and std over seeds, rounded."""
    columns = [*STUDENT_COLUMNS, *[f"{k}_{m}" for m in methods for k in ("iou_tt", "iou_ts", "coverage")]]
    return mean_std(students, ["dataset", "config", "kind", "aug"], columns).round(4)


def teacher_table(teachers: pd.DataFrame, pairs: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """Per dataset and augmentation of the pool: top-1, Affinity and mask coverage over the teachers, and
    the IoU of their pairs by attention method (mean and std over pairs), weakest augmentation first."""
    models = mean_std(teachers, ["dataset", "aug"], ["top1", "affinity", *[f"coverage_{m}" for m in methods]])
    ious = mean_std(pairs, ["dataset", "aug"], [f"iou_{m}" for m in methods]).rename(columns={"n": "pairs"})
    table = models.merge(ious, on=["dataset", "aug"], how="left").drop(columns=["affinity_std"])
    order = table["aug"].map(strength_order)
    return table.assign(_o=order).sort_values(["dataset", "_o"], kind="stable").drop(columns="_o").round(4).reset_index(drop=True)


def grid_rows(models: Sequence[Mapping[str, Any]]) -> list[str]:
    """The rows of the attention grid as ``label|key prefix``: for the first config whose teachers are all
    weak and the first whose teachers are all strong (else the first two configs), at their first seed,
    each teacher then the student."""
    students = [m for m in models if m["role"] == "student" and m["kind"] == "kd"]
    chosen: list[Mapping[str, Any]] = []
    for strength in ("weak", "strong"):
        found = next((m for m in students if m["teachers"] and all(a == strength for a, _ in m["teachers"])), None)
        if found is not None:
            chosen.append(found)
    if len(chosen) < 2:
        chosen = list({m["config"]: m for m in reversed(students)}.values())[::-1][:2]
    rows = []
    for m in chosen:
        for k, (aug, seed) in enumerate(m["teachers"], 1):
            rows.append(f"{m['config']} T{k}:{aug}/seed-{seed}|teacher/{aug}/seed-{seed}")
        rows.append(f"{m['config']} student/seed-{m['seed']}|student/{m['config']}/seed-{m['seed']}")
    return rows


def config_markdown(table: pd.DataFrame, methods: Sequence[str]) -> str:
    """The Markdown view of :func:`config_table`: the main student measures as ``mean ± std``."""
    main = ["top1", "test_top1", "overfit_clean", "overfit_aug", "fidelity", "kl", "mi", "ece", *[f"iou_{k}_{m}" for m in methods for k in ("tt", "ts")]]
    return readable(table, ["dataset", "config", "n"], main).to_markdown(index=False) + "\n"


def teacher_markdown(table: pd.DataFrame, methods: Sequence[str]) -> str:
    """The Markdown view of :func:`teacher_table`: top-1, Affinity, pair IoU and coverage as ``mean ± std``."""
    main = ["top1", "affinity", *[f"iou_{m}" for m in methods], *[f"coverage_{m}" for m in methods]]
    return readable(table, ["dataset", "aug", "n", "pairs"], main).to_markdown(index=False) + "\n"
