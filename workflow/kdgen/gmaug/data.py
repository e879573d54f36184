"""The gmaug study's data: a dataset's imbalanced subset, the candidates each class is asked for, and the
re-balanced training set (originals plus kept candidates, the source of every image recorded) as the
:class:`kdgen.train.classifier.SplitData` the classifier trainer takes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from kdgen.data.store import ImageDataset, load_dataset
from kdgen.gmaug.plan import candidate_counts, target_counts
from kdgen.gmaug.rebalance import accepted_mask, class_table, select
from kdgen.train.classifier import SplitData, load_classifier
from kdgen.train.trainer import as_rgb_batch, derive_seed, predict_logits, resolve_device

SOURCE_REAL, SOURCE_GENERATED = 0, 1


@dataclass
class Imbalanced:
    """A dataset with its splits and the indices of its imbalanced training subset."""

    ds: ImageDataset
    splits: dict[str, np.ndarray]
    train: np.ndarray

    @property
    def num_classes(self) -> int:
        return len(self.ds.classes)

    @property
    def class_names(self) -> list[str]:
        return [c.name for c in self.ds.classes]

    def counts(self) -> np.ndarray:
        return np.bincount(self.ds.labels[self.train], minlength=self.num_classes)


def load_imbalanced(inputs: Mapping[str, Any]) -> Imbalanced:
    """The dataset of a rule's inputs (images, manifest, splits, and subset unless it is the full split)."""
    ds = load_dataset(inputs["images"], inputs["manifest"])
    with np.load(inputs["splits"]) as splits:
        idx = {k: splits[k] for k in ("train", "val", "test")}
    train = np.load(inputs["subset"]) if "subset" in inputs.keys() else idx["train"]
    return Imbalanced(ds, idx, np.asarray(train, dtype=np.int64))


def intended_labels(counts: np.ndarray, target: int | str, oversample: float) -> tuple[np.ndarray, np.ndarray]:
    """(targets per class, the intended class of every candidate, in class order)."""
    targets = target_counts(counts, target)
    per_class = candidate_counts(counts, targets, oversample)
    return targets, np.repeat(np.arange(len(counts)), per_class).astype(np.int64)


@torch.no_grad()
def classifier_logits(checkpoint: str, images: np.ndarray, batch_size: int = 512, device: str = "cpu") -> np.ndarray:
    """The logits of a saved classifier on uint8 images (N, H, W, C)."""
    model, ckpt = load_classifier(checkpoint)
    if len(images) == 0:
        return np.zeros((0, ckpt["meta"]["num_classes"]), dtype=np.float32)
    return predict_logits(model, as_rgb_batch(images), batch_size, resolve_device(device)).float().numpy()


def split_data(data: Imbalanced, images: np.ndarray, labels: np.ndarray, ids: np.ndarray) -> SplitData:
    """The classifier trainer's data: the given training images (uint8 (N, H, W, C), labels, ids) and the
    dataset's val and test splits."""
    ds = data.ds

    def take(i: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return as_rgb_batch(ds.images[i]), torch.from_numpy(ds.labels[i])

    return SplitData(
        (as_rgb_batch(images), torch.from_numpy(np.asarray(labels, dtype=np.int64))),
        take(data.splits["val"]),
        take(data.splits["test"]),
        data.num_classes,
        ds.images.shape[1],
        {"train": torch.from_numpy(np.asarray(ids, dtype=np.int64)), **{k: torch.from_numpy(data.splits[k].astype(np.int64)) for k in ("val", "test")}},
    )


def original_data(data: Imbalanced) -> SplitData:
    """The imbalanced subset alone (the original classifier's training set)."""
    return split_data(data, data.ds.images[data.train], data.ds.labels[data.train], data.train)


@dataclass
class Rebalanced:
    data: SplitData
    source: np.ndarray  # 0 real, 1 generated, per training image
    origin: np.ndarray  # dataset index (real) or candidate index (generated)
    accepted: np.ndarray | None  # the filter's mask over all candidates (None without a filter)
    kept: np.ndarray  # candidate indices in the training set
    classes: Any  # the per-class table (pandas)


def rebalance(
    data: Imbalanced,
    candidates: np.ndarray,
    intended: np.ndarray,
    arm: str,
    target: int | str,
    filter_cfg: Mapping[str, Any],
    seed: int,
    filters: Mapping[str, str],
    device: str = "cpu",
    log: Callable[[str], None] = print,
) -> Rebalanced:
    """The training set of ``arm``: every original of the subset plus the candidates the arm keeps, every
    class topped up towards ``target`` (``filter_cfg``: score and threshold). ``filters`` holds the filtering classifiers' checkpoints: ``original`` (step 1, and the random arm's
    counts) and ``step1`` (step 2)."""
    counts = data.counts()
    targets = target_counts(counts, target)
    missing = targets - counts
    f = filter_cfg
    accepted = counts_like = None
    if arm in ("step1", "random"):
        accepted = accepted_mask(classifier_logits(filters["original"], candidates, device=device), intended, f["score"], f["threshold"])
    if arm == "step2":
        accepted = accepted_mask(classifier_logits(filters["step1"], candidates, device=device), intended, f["score"], f["threshold"])
    if arm == "random":
        counts_like = np.bincount(intended[select(intended, missing, "step1", accepted=accepted)], minlength=len(counts))
    kept = select(intended, missing, arm, accepted=accepted, counts_like=counts_like, seed=derive_seed(seed, 21))
    table = class_table(data.class_names, counts, targets, intended, kept, accepted if arm != "no_filter" else None)
    if accepted is not None:
        log(f"filter ({f['score']} > {f['threshold']}): accepted {int(accepted.sum())} of {len(accepted)} candidates")
    log(f"{arm}: {len(data.train)} real + {len(kept)} generated images\n{table.to_string(index=False)}")
    ds = data.ds
    images = np.concatenate([ds.images[data.train], candidates[kept]]) if len(kept) else ds.images[data.train]
    labels = np.concatenate([ds.labels[data.train], intended[kept]])
    source = np.concatenate([np.full(len(data.train), SOURCE_REAL), np.full(len(kept), SOURCE_GENERATED)]).astype(np.uint8)
    origin = np.concatenate([data.train, kept]).astype(np.int64)
    # ids: dataset indices for the originals, past the dataset's end for the generated images
    ids = np.where(source == SOURCE_REAL, origin, len(ds.images) + origin)

    split = split_data(data, images, labels, ids)
    return Rebalanced(split, source, origin, accepted, kept, table)


