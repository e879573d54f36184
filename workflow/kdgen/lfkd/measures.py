"""The measures of the lfkd study (Guo et al., "Why does Knowledge Distillation Work? Rethink its
Attention and Fidelity Mechanism") over trained teachers and students of one dataset.

Every model is seen once on the measured split (:func:`observe`: logits, attention masks of each method,
the maps of a few grid images); the rows of the study's tables are then computed from those observations:

- a student (distilled or no-KD): top-1, the overfitting gap (train top-1 minus val top-1 of the best
  checkpoint, on augmented train images as published and on clean ones), fidelity, KL, mutual
  information and entropy against the mean of its teachers' logits, ECE, IoU of its teachers' masks and
  of each teacher's with its own;
- a teacher: top-1 and mask coverage; a pair of teachers of one augmentation: IoU of their masks;
- an augmentation: its Affinity, top-1 under it over top-1 under the crop-only view (``base``), measured
  with the reference teachers.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from kdgen.metrics.agreement import (
    affinity,
    expected_calibration_error,
    fidelity,
    kl_divergence,
    mean_entropy,
    mean_logits,
    mutual_information,
    mutual_information_knn,
    top1,
)
from kdgen.metrics.attention import attention_masks, cam, coverage, gradcam, pooled_iou
from kdgen.train.trainer import predict_logits

ATTENTION_METHODS = ("cam_sum", "cam_pred", "gradcam")


def attention_maps(
    model: nn.Module,
    images: torch.Tensor,
    method: str,
    batch_size: int = 256,
    device: str = "cpu",
    predicted: torch.Tensor | None = None,
) -> torch.Tensor:
    """Min-max normalised attention maps (N, H, W), on the CPU, of uint8 ``images`` by ``method``:
    ``cam_sum`` (the paper's CAM summed over classes), ``cam_pred`` (the predicted class's CAM),
    ``gradcam`` (Grad-CAM of the predicted class); computed on ``device``, where the model is. Grad-CAM
    takes the classes from ``predicted`` (the model's top-1 per image, as :func:`observe` already has
    them), or predicts them first."""
    if method not in ATTENTION_METHODS:
        raise ValueError(f"unknown attention method {method!r}; expected one of {list(ATTENTION_METHODS)}")
    if method == "gradcam" and predicted is None:
        predicted = predict_logits(model, images, batch_size=batch_size, device=device).argmax(dim=1)
    out = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device).float().div(255)
        if method == "gradcam":
            maps = gradcam(model, x, predicted[start : start + batch_size].to(device))
        else:
            maps = cam(model, x, mode="sum" if method == "cam_sum" else "pred")
        out.append(maps.cpu())
    return torch.cat(out)


@dataclass
class Observation:
    """What the measures need of one model on the measured split."""

    logits: torch.Tensor
    masks: dict[str, torch.Tensor]
    grid_maps: dict[str, np.ndarray] = field(default_factory=dict)


def observe(
    model: nn.Module,
    images: torch.Tensor,
    methods: Sequence[str],
    threshold: float,
    grid: torch.Tensor,
    batch_size: int = 256,
    device: str = "cpu",
) -> Observation:
    """Logits of ``model`` (on ``device``) on ``images`` and its attention masks (maps above ``threshold``)
    by each method; the maps of the images at positions ``grid`` kept as float16 for the figures."""
    logits = predict_logits(model, images, batch_size=batch_size, device=device)
    masks, grid_maps = {}, {}
    for method in methods:
        maps = attention_maps(model, images, method, batch_size, device, predicted=logits.argmax(dim=1))
        masks[method] = attention_masks(maps, threshold)
        grid_maps[method] = maps[grid].numpy().astype(np.float16)
    return Observation(logits, masks, grid_maps)


def mean_pair_iou(masks: Sequence[torch.Tensor]) -> float:
    """Pooled IoU of two masks, or the mean over the pairs of three or more."""
    return float(np.mean([pooled_iou(a, b) for a, b in itertools.combinations(masks, 2)]))


def student_measures(
    student: Observation,
    teachers: Sequence[Observation],
    labels: torch.Tensor,
    methods: Sequence[str],
    ece_bins: int,
    seed: int,
) -> dict[str, float]:
    """The measures of one student on the measured split against its teachers (none for a no-KD student,
    whose teacher measures are then NaN). Accuracies and fidelity in %, information in nats."""
    row: dict[str, float] = {
        "top1": 100 * top1(student.logits, labels),
        "ece": expected_calibration_error(student.logits, labels, ece_bins),
        "entropy": mean_entropy(student.logits),
    }
    for method in methods:
        row[f"coverage_{method}"] = coverage(student.masks[method])
    nan = float("nan")
    if not teachers:
        row.update(fidelity=nan, kl=nan, mi=nan, mi_knn=nan, entropy_teachers=nan)
        for method in methods:
            row[f"iou_tt_{method}"] = row[f"iou_ts_{method}"] = nan
        return row
    ensemble = mean_logits([t.logits for t in teachers])
    s_pred, t_pred = student.logits.argmax(1), ensemble.argmax(1)
    row.update(
        fidelity=100 * fidelity(student.logits, [t.logits for t in teachers]),
        kl=kl_divergence(student.logits, ensemble, temperature=1.0),
        mi=mutual_information(t_pred, s_pred, num_classes=student.logits.shape[1]),
        mi_knn=mutual_information_knn(t_pred, s_pred, seed=seed),
        entropy_teachers=mean_entropy(ensemble),
    )
    for method in methods:
        masks = [t.masks[method] for t in teachers]
        row[f"iou_tt_{method}"] = mean_pair_iou(masks) if len(masks) > 1 else nan
        row[f"iou_ts_{method}"] = float(np.mean([pooled_iou(m, student.masks[method]) for m in masks]))
    return row


def overfitting(
    model: nn.Module,
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    val_top1: float,
    augmentation: str,
    seed: int,
    batch_size: int = 256,
    device: str = "cpu",
) -> dict[str, float]:
    """Train top-1 (%) of ``model`` on its training images under its own augmentation (one seeded draw)
    and clean, and the two overfitting gaps against ``val_top1`` (%): the published gap (augmented) and
    the clean one (the augmented gap also measures how hard the augmentation is)."""
    augmented = 100 * top1(predict_logits(model, train_images, batch_size, device, augmentation=augmentation, seed=seed), train_labels)
    clean = 100 * top1(predict_logits(model, train_images, batch_size, device), train_labels)
    return {
        "train_top1_aug": augmented,
        "train_top1_clean": clean,
        "overfit_aug": augmented - val_top1,
        "overfit_clean": clean - val_top1,
    }


def augmentation_affinity(
    references: Sequence[nn.Module],
    images: torch.Tensor,
    labels: torch.Tensor,
    augmentation: str,
    seed: int,
    batch_size: int = 256,
    device: str = "cpu",
) -> float:
    """Affinity of ``augmentation``: the reference models' top-1 on ``images`` under it over their top-1
    under the crop-only view ``base`` (the same seed, so the same crops), averaged over the references."""
    ratios = []
    for model in references:
        under = top1(predict_logits(model, images, batch_size, device, augmentation=augmentation, seed=seed), labels)
        base = top1(predict_logits(model, images, batch_size, device, augmentation="base", seed=seed), labels)
        ratios.append(affinity(under, base))
    return float(np.mean(ratios))


def teacher_pair_rows(pool: Mapping[tuple[str, int], Observation], methods: Sequence[str]) -> list[dict[str, Any]]:
    """One row per pair of pool teachers of the same augmentation: the IoU of their masks by method."""
    rows = []
    augs = list(dict.fromkeys(aug for aug, _ in pool))
    for aug in augs:
        seeds = [s for a, s in pool if a == aug]
        for a, b in itertools.combinations(seeds, 2):
            row: dict[str, Any] = {"aug": aug, "seed_a": a, "seed_b": b}
            for method in methods:
                row[f"iou_{method}"] = pooled_iou(pool[aug, a].masks[method], pool[aug, b].masks[method])
            rows.append(row)
    return rows
