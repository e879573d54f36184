"""The training stage's tables: the model zoo's parameter counts, the classifiers (and students) over seeds."""

from __future__ import annotations

import pandas as pd


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
