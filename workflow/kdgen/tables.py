"""Tables as pandas frames, written as CSV and Markdown."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from kdgen.data.store import ClassInfo
from kdgen.runtime import atomic_write_text


def write_table(table: pd.DataFrame, csv_path: str | os.PathLike[str], md_path: str | os.PathLike[str] | None = None) -> None:
    atomic_write_text(csv_path, table.to_csv(index=False))
    if md_path is not None:
        atomic_write_text(md_path, table.to_markdown(index=False) + "\n")


def split_count_table(labels: np.ndarray, splits: Mapping[str, np.ndarray], classes: Sequence[ClassInfo]) -> pd.DataFrame:
    """Images per class and split, with a total column and a final ``all`` row."""
    n = len(classes)
    table = pd.DataFrame(
        {
            "class_index": np.arange(n),
            "class": [c.name for c in classes],
            "superclass": [c.superclass or "" for c in classes],
            **{name: np.bincount(labels[idx], minlength=n) for name, idx in splits.items()},
        }
    )
    table["total"] = table[list(splits)].sum(axis=1)
    totals = {"class_index": "", "class": "all", "superclass": "", **table[[*splits, "total"]].sum().to_dict()}
    return pd.concat([table, pd.DataFrame([totals])], ignore_index=True)


def hierarchy_table(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """Class -> super-class map of a dataset manifest (super-class index in sorted-name order)."""
    supers = {name: i for i, name in enumerate(manifest["superclasses"])}
    rows = [
        {
            "class_index": c["index"],
            "class": c["name"],
            "wnid": c["wnid"] or "",
            "superclass_index": supers.get(c["superclass"], -1),
            "superclass": c["superclass"] or "",
        }
        for c in manifest["classes"]
    ]
    return pd.DataFrame(rows)


def model_zoo_table(num_classes: int = 100, image_size: int = 32) -> pd.DataFrame:
    """Parameters (millions) of every architecture of the zoo beside the published count, if any."""
    from kdgen.models import ARCHITECTURES, PUBLISHED_PARAMS_M, build_model, count_parameters

    names = [n for n in ARCHITECTURES if n != "tiny"] + ["wrn_16_2", "wrn_40_1", "wrn_40_2", "tiny"]
    rows = []
    for name in names:
        params = count_parameters(build_model(name, num_classes, image_size)) / 1e6
        published = PUBLISHED_PARAMS_M.get(name)
        rows.append(
            {
                "arch": name,
                "params_m": round(params, 3),
                "published_params_m": published if published is not None else "",
                "relative_difference": f"{(params - published) / published:+.2%}" if published else "",
            }
        )
    return pd.DataFrame(rows)


def classifier_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs (one row per seed) -> one row per classifier with the mean and std over seeds.

    A classifier is a dataset, subset, arch, aug and ``method`` (``ce`` for training on the labels,
    ``<method>:<name>`` for a student distilled from the teacher set ``<name>``, whose members the
    ``teachers`` column lists); runs without those two columns are plain classifiers."""
    runs = runs.assign(method=runs["method"] if "method" in runs else "ce", teachers=runs["teachers"] if "teachers" in runs else "")
    keys = ["dataset", "subset", "arch", "aug", "method", "teachers"]
    grouped = runs.groupby(keys, sort=True)
    table = grouped.agg(
        seeds=("seed", "count"),
        epochs=("epochs", "first"),
        best_epoch_mean=("best_epoch", "mean"),
        val_top1_mean=("val_top1", "mean"),
        val_top1_std=("val_top1", "std"),
        test_top1_mean=("test_top1", "mean"),
        test_top1_std=("test_top1", "std"),
        test_top5_mean=("test_top5", "mean"),
    ).reset_index()
    numeric = [c for c in table.columns if c.endswith(("_mean", "_std"))]
    table[numeric] = table[numeric].fillna(0.0).round(2)  # std of a single seed is reported as 0
    return table


def mean_std(frame: pd.DataFrame, by: Sequence[str], columns: Sequence[str]) -> pd.DataFrame:
    """Per group of ``by``: ``n`` and each column's mean and sample standard deviation (``<col>_std``, NaN
    for a single value); groups in order of appearance."""
    grouped = frame.groupby(list(by), sort=False)
    mean, std = grouped[list(columns)].mean(), grouped[list(columns)].std(ddof=1)
    out = mean.copy()
    for c in columns:
        out[f"{c}_std"] = std[c]
    out.insert(0, "n", grouped.size())
    ordered = ["n", *[x for c in columns for x in (c, f"{c}_std")]]
    return out[ordered].reset_index()


def readable(table: pd.DataFrame, keys: Sequence[str], columns: Sequence[str], digits: int = 2) -> pd.DataFrame:
    """``keys`` and each of ``columns`` as one ``mean ± std`` text column (the std left out where it is
    NaN or the column has none): the Markdown view of a wide mean/std table."""
    out = table[list(keys)].copy()
    for c in columns:
        std = table[f"{c}_std"] if f"{c}_std" in table else pd.Series(np.nan, index=table.index)
        out[c] = [
            "" if pd.isna(m) else (f"{m:.{digits}f}" if pd.isna(s) else f"{m:.{digits}f} ± {s:.{digits}f}")
            for m, s in zip(table[c], std)
        ]
    return out
