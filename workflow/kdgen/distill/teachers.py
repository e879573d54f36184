"""Teachers for distillation: anything that maps a batch's images and dataset-level ids to logits.

- :class:`ClassifierTeacher`: an image classifier, usually a trained checkpoint of this workflow
  (:meth:`ClassifierTeacher.from_checkpoint`); it sees the images (the student's augmented view) and
  ignores the ids.
- :class:`EmbeddingTeacher`: a head over a per-id embedding table (a CLIP teacher over precomputed
  per-image embeddings); it ignores the images and looks its batch up by id.
- a teacher of a kind a study adds (:class:`kdgen.distill.plan.TeacherKind`), built by the function its
  kind names (:func:`build_teacher`).

The trainer guards every teacher a method lists (no gradients, eval mode each epoch), so the classes
here hold no training logic.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn


class TeacherError(RuntimeError):
    """A teacher that cannot be built: an unreadable checkpoint, ids its table does not hold."""


def index_ids(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """An index of a table's dataset-level ``ids`` (one per row): ``(sorted ids, row of each, duplicates)``;
    a table whose ids repeat has a non-empty third value. Look batches up with :func:`lookup_ids`."""
    sorted_ids, order = torch.sort(ids)
    duplicates = sorted_ids[1:][sorted_ids[1:] == sorted_ids[:-1]].unique()
    return sorted_ids, order, duplicates


def lookup_ids(sorted_ids: torch.Tensor, order: torch.Tensor, ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The table rows of dataset-level ``ids`` under an index of :func:`index_ids`, and a mask of the ids the
    table does not hold (their rows are meaningless; callers raise their own error)."""
    pos = torch.searchsorted(sorted_ids, ids).clamp_max(len(sorted_ids) - 1)
    return order[pos], sorted_ids[pos] != ids


class Teacher(nn.Module):
    """The teacher interface: ``teacher(images, ids) -> logits (N, K)``."""

    def forward(self, images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError


class ClassifierTeacher(Teacher):
    """An image classifier as a teacher; ``source`` names the checkpoint it came from, if any."""

    def __init__(self, classifier: nn.Module, source: str | None = None) -> None:
        super().__init__()
        self.classifier = classifier
        self.source = source

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike[str], num_classes: int | None = None) -> ClassifierTeacher:
        """A teacher from a classifier checkpoint written by :func:`kdgen.train.classifier.save_outputs`;
        a file that is missing or not such a checkpoint, or (with ``num_classes``) one that predicts
        another number of classes, is a :class:`TeacherError` naming the file."""
        from kdgen.train.classifier import load_classifier

        path = Path(path)
        if not path.is_file():
            raise TeacherError(f"teacher checkpoint {path} not found: train the teacher first or fix the path")
        try:
            model, ckpt = load_classifier(path)
        except Exception as exc:  # any failure is reported with the file's name
            raise TeacherError(
                f"teacher checkpoint {path} cannot be loaded ({type(exc).__name__}: {exc}); expected a classifier "
                "checkpoint with 'model' and 'meta' written by the train_classifier rule"
            ) from exc
        if num_classes is not None and ckpt["meta"]["num_classes"] != num_classes:
            raise TeacherError(
                f"teacher checkpoint {path} predicts {ckpt['meta']['num_classes']} classes, but the student's data has "
                f"{num_classes}; a teacher must predict the student's classes"
            )
        return cls(model, str(path))

    def forward(self, images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return self.classifier(images)


class EmbeddingTeacher(Teacher):
    """A head over a per-id embedding table: ``logits = head(embeddings[row(id)])``.

    ``embeddings`` (R, D) holds one row per id in ``ids`` (R distinct dataset-level ids; default
    ``0..R-1``). ``head`` defaults to a linear layer D -> ``num_classes`` initialised from ``seed``.
    """

    def __init__(
        self,
        embeddings: torch.Tensor,
        num_classes: int,
        ids: torch.Tensor | None = None,
        head: nn.Module | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if embeddings.ndim != 2:
            raise TeacherError(f"embeddings must be a table (R, D), got shape {tuple(embeddings.shape)}")
        ids = torch.arange(len(embeddings)) if ids is None else torch.as_tensor(ids, dtype=torch.int64)
        if ids.shape != (len(embeddings),):
            raise TeacherError(f"ids has shape {tuple(ids.shape)}; expected one id per embedding row ({len(embeddings)},)")
        sorted_ids, order, duplicates = index_ids(ids)
        if len(duplicates):
            raise TeacherError("ids of an embedding table must be distinct")
        self.register_buffer("embeddings", embeddings.detach().float().clone())
        self.register_buffer("ids", ids.clone())
        self.register_buffer("sorted_ids", sorted_ids, persistent=False)
        self.register_buffer("order", order, persistent=False)
        if head is None:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                head = nn.Linear(embeddings.shape[1], num_classes)
        self.head = head

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """The table rows of dataset-level ``ids``; ids the table does not hold are a :class:`TeacherError`."""
        ids = ids.to(self.sorted_ids.device, torch.int64)
        rows, missing = lookup_ids(self.sorted_ids, self.order, ids)
        if bool(missing.any()):
            raise TeacherError(f"the embedding table holds no row for ids {ids[missing][:10].tolist()}")
        return rows

    def forward(self, images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.embeddings[self.rows(ids)])


def build_teacher(
    builder: str, checkpoint: str | os.PathLike[str], inputs: Any, settings: Mapping[str, Any], num_classes: int | None = None
) -> nn.Module:
    """A teacher of a study's kind: ``builder`` (``"module:function"``, the kind's) called with the teacher's
    checkpoint, the job's inputs, the kind's settings and the student's number of classes."""
    module, _, name = builder.partition(":")
    try:
        build = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise TeacherError(f"teacher builder {builder!r} cannot be imported ({exc}); expected 'module:function'") from exc
    return build(checkpoint, inputs, dict(settings), num_classes)
