"""Classifiers on materialised datasets: data loading, model building, training to the outputs of a
run (:func:`train_and_save`, shared by plain classifiers and distilled students), checkpoints."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from kdgen.data.store import load_dataset
from kdgen.models.zoo import Normalized, build_model
from kdgen.runtime import atomic_path, atomic_torch_save, atomic_write_text
from kdgen.train.trainer import (
    Method,
    TrainConfig,
    TrainResult,
    as_rgb_batch,
    channel_stats,
    derive_seed,
    evaluate,
    fit,
    load_checkpoint,
    resolve_device,
)


@dataclass
class SplitData:
    """uint8 images (N, 3, H, W) and int64 labels of the train subset, val and test splits, and the
    dataset-level ids (indices into the materialised dataset) of each split's images, by split name."""

    train: tuple[torch.Tensor, torch.Tensor]
    val: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    num_classes: int
    image_size: int
    ids: dict[str, torch.Tensor] = field(default_factory=dict)

    def split_ids(self, split: str) -> torch.Tensor:
        """The dataset-level ids of ``split``'s images; their positions when the data came without ids."""
        if split in self.ids:
            return self.ids[split]
        return torch.arange(len(getattr(self, split)[0]))


def load_split_data(images_path: str, manifest_path: str, splits_path: str, subset_path: str | None = None) -> SplitData:
    """The dataset's splits as tensors; the training images are ``subset_path``'s indices when given."""
    ds = load_dataset(images_path, manifest_path)
    with np.load(splits_path) as splits:
        idx = {k: splits[k] for k in ("train", "val", "test")}
    if subset_path is not None:
        idx["train"] = np.load(subset_path)

    def take(i: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return as_rgb_batch(ds.images[i]), torch.from_numpy(ds.labels[i])

    ids = {k: torch.from_numpy(v.astype(np.int64)) for k, v in idx.items()}
    return SplitData(take(idx["train"]), take(idx["val"]), take(idx["test"]), len(ds.classes), ds.images.shape[1], ids)


def build_classifier(arch: str, data: SplitData, seed: int = 0, weights: str | None = None) -> Normalized:
    """``arch`` for the dataset's classes, initialised from ``seed``, standardising inputs with the
    training images' channel statistics."""
    mean, std = channel_stats(data.train[0])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, 3))
        return Normalized(build_model(arch, data.num_classes, data.image_size, weights), mean, std)


def classifier_meta(arch: str, data: SplitData) -> dict[str, Any]:
    return {"arch": arch, "num_classes": data.num_classes, "image_size": data.image_size}


def load_classifier(path: str | os.PathLike[str]) -> tuple[Normalized, dict[str, Any]]:
    """Rebuild a classifier from a checkpoint written by :func:`save_outputs` (weights only), in eval mode."""
    ckpt = load_checkpoint(path)
    meta = ckpt["meta"]
    model = Normalized(build_model(meta["arch"], meta["num_classes"], meta["image_size"]), [0.0] * 3, [1.0] * 3)
    model.load_state_dict(ckpt["model"])
    return model.eval(), ckpt


def save_outputs(
    model: Normalized,
    result: TrainResult,
    meta: dict[str, Any],
    state_dir: str | os.PathLike[str],
    best_path: str | os.PathLike[str],
    last_path: str | os.PathLike[str],
    metrics_path: str | os.PathLike[str],
    timing_path: str | os.PathLike[str] | None = None,
) -> None:
    """Write the best-validation and last checkpoints, the per-epoch metrics (no wall-clock values: the
    same config gives the same bytes) and, when ``timing_path`` is given, the seconds of each epoch;
    drop the resume state."""
    state_dir = Path(state_dir)
    best = load_checkpoint(state_dir / "best.pt")
    atomic_torch_save({**best, "meta": meta}, best_path)
    last = result.history[-1]
    atomic_torch_save({"model": model.state_dict(), "epoch": last["epoch"], "val_top1": last["val_top1"], "meta": meta}, last_path)
    with atomic_path(metrics_path) as tmp:
        pd.DataFrame(result.history).to_csv(tmp, index=False)
    if timing_path is not None:
        with atomic_path(timing_path) as tmp:
            pd.DataFrame(result.timing, columns=["epoch", "seconds"]).to_csv(tmp, index=False)
    shutil.rmtree(state_dir)


def train_and_save(
    arch: str,
    data: SplitData,
    cfg: TrainConfig,
    state_dir: str | os.PathLike[str],
    best_path: str | os.PathLike[str],
    last_path: str | os.PathLike[str],
    metrics_path: str | os.PathLike[str],
    timing_path: str | os.PathLike[str] | None = None,
    weights: str | None = None,
    method: Method | None = None,
    meta: dict[str, Any] | None = None,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """One training run, from the data to its outputs: ``arch`` built for ``data`` and seeded from
    ``cfg.seed`` (:func:`build_classifier`), trained by :func:`fit` with ``method`` (cross-entropy by
    default; a distillation method for a student), resumable from ``state_dir``, and written by
    :func:`save_outputs` with :func:`classifier_meta` plus ``meta`` in its checkpoints."""
    model = build_classifier(arch, data, cfg.seed, weights)
    log(f"{arch}: {len(data.train[0])} train, {len(data.val[0])} val images, {data.num_classes} classes; {cfg}")
    result = fit(model, *data.train, *data.val, cfg, state_dir, method=method, log=log, train_ids=data.split_ids("train"))
    log(f"best validation top-1 {result.best_val_top1:.2f} at epoch {result.best_epoch}")
    meta = {**classifier_meta(arch, data), **(meta or {})}
    save_outputs(model.cpu(), result, meta, state_dir, best_path, last_path, metrics_path, timing_path)
    return result


def evaluate_checkpoint(
    checkpoint: str | os.PathLike[str], data: SplitData, split: str, batch_size: int = 512, device: str = "cpu", precision: str = "fp32"
) -> dict[str, Any]:
    """A saved classifier's evaluation on ``split`` (val or test) of ``data``: loss, top-1, top-5,
    per-class top-1, the split, the checkpoint's epoch and its meta."""
    model, ckpt = load_classifier(checkpoint)
    dev = resolve_device(device)
    result = evaluate(model.to(dev), *getattr(data, split), batch_size, dev, precision)
    return {**result, "split": split, "checkpoint_epoch": ckpt["epoch"], **ckpt["meta"]}


def write_evaluations(
    checkpoint: str | os.PathLike[str],
    data: SplitData,
    paths: Mapping[str, str | os.PathLike[str]],
    batch_size: int = 512,
    device: str = "cpu",
    precision: str = "fp32",
    log: Callable[[str], None] = print,
) -> None:
    """Evaluate the best checkpoint of a run on each split of ``paths`` (split -> eval-<split>.json) in the
    training job itself (one job fewer per split, each of which paid an interpreter and a torch import)."""
    for split, path in paths.items():
        result = evaluate_checkpoint(checkpoint, data, split, batch_size, device, precision)
        atomic_write_text(path, json.dumps(result, indent=2) + "\n")
        log(f"{split} top-1 {result['top1']:.2f} top-5 {result['top5']:.2f} on {result['n']} images (epoch {result['checkpoint_epoch']})")

