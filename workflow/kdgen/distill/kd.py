"""Ensemble knowledge distillation (Hinton, Vinyals and Dean, 2015), as lfkd and xkd define it.

For student logits z_s, teacher logits z_k (k = 1..K) and labels y:

    L = 1/K sum_k [ alpha CE(z_s, y) + beta T^2 KL(softmax(z_k / T) || softmax(z_s / T)) ]
      = alpha CE(z_s, y) + beta T^2 1/K sum_k KL_k

with alpha = 0.6, beta = 0.4, T = 3 in both papers (Guo et al., arXiv 2405.00739 and 2503.24017); the
T^2 keeps the soft term's gradient on the scale of the hard one. Teachers see the student's augmented
view. The loss terms the trainer sums are ``kd_ce`` (alpha CE) and ``kd_kl`` (beta T^2 mean KL); the
plain ``ce`` and each teacher's ``kl_<name>`` (at temperature T) are logged beside them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from kdgen.distill.teachers import ClassifierTeacher, Teacher
from kdgen.train.trainer import BatchContext

TEACHER_NAME = re.compile(r"[A-Za-z0-9_]+")


@dataclass
class KDConfig:
    """The distillation loss's settings (config keys ``alpha``, ``beta``, ``temperature``)."""

    alpha: float = 0.6
    beta: float = 0.4
    temperature: float = 3.0

    def __post_init__(self) -> None:
        if self.alpha < 0 or self.beta < 0:
            raise ValueError(f"alpha and beta must be non-negative, got alpha={self.alpha}, beta={self.beta}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be positive, got {self.temperature}")


def kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: Mapping[str, torch.Tensor],
    labels: torch.Tensor,
    alpha: float = 0.6,
    beta: float = 0.4,
    temperature: float = 3.0,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """The ensemble KD loss as ``(terms, logged)``: ``terms`` = ``{"kd_ce": alpha CE, "kd_kl": beta T^2
    mean_k KL_k}`` (their sum is the loss); ``logged`` = ``{"ce": CE, "kl_<name>": KL_k}``, each KL the
    batch mean of KL(softmax(z_k/T) || softmax(z_s/T))."""
    if not teacher_logits:
        raise ValueError("kd_loss needs at least one teacher")
    ce = F.cross_entropy(student_logits, labels)
    log_student = F.log_softmax(student_logits / temperature, dim=1)
    kls = {
        f"kl_{name}": F.kl_div(log_student, F.log_softmax(z / temperature, dim=1), reduction="batchmean", log_target=True)
        for name, z in teacher_logits.items()
    }
    mean_kl = torch.stack(list(kls.values())).mean()
    return {"kd_ce": alpha * ce, "kd_kl": beta * temperature**2 * mean_kl}, {"ce": ce, **kls}


class KnowledgeDistillation:
    """The trainer method of :func:`kd_loss` over named ``teachers``.

    A teacher is a :class:`Teacher` (called with the batch's images and dataset-level ids); a plain
    image classifier is wrapped in a :class:`ClassifierTeacher`. The trainer reads ``teachers`` and
    guards them (no gradients, eval mode unless its config asks for train mode).
    """

    def __init__(self, teachers: Mapping[str, nn.Module], config: KDConfig | None = None) -> None:
        if not teachers:
            raise ValueError("knowledge distillation needs at least one teacher")
        bad = [name for name in teachers if not TEACHER_NAME.fullmatch(name)]
        if bad:
            raise ValueError(f"teacher names must be letters, digits and underscores (they name metric columns), got {bad}")
        self.config = config or KDConfig()
        self.teachers: dict[str, Teacher] = {
            name: t if isinstance(t, Teacher) else ClassifierTeacher(t) for name, t in teachers.items()
        }

    def settings(self) -> dict[str, Any]:
        return {**asdict(self.config), "teachers": sorted(self.teachers)}

    def __call__(
        self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, context: BatchContext
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        logits = model(images)
        ids = context.ids.to(images.device)
        with torch.no_grad():
            teacher_logits = {name: t(images, ids).float() for name, t in self.teachers.items()}
        c = self.config
        terms, logged = kd_loss(logits.float(), teacher_logits, labels, c.alpha, c.beta, c.temperature)
        return logits, terms, logged
