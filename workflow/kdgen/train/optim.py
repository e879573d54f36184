"""SGD and Adam(W) that step with torch.optim's own update functions (``torch.optim.sgd.sgd``,
``torch.optim.adam.adam``: the functions ``torch.optim.SGD`` / ``Adam`` / ``AdamW`` call themselves), without
``torch.optim.Optimizer``.

Why: every method of ``torch.optim.Optimizer`` (its constructor's ``add_param_group``, ``zero_grad``,
``step``, ``state_dict``) imports ``torch._dynamo`` on first use, 1.2-1.5 CPU-s in every training job of a
workflow of short jobs (issue 22's profile: 157 CPU-s of the default, as much as importing torch itself).
The update functions import nothing of it. The updates are the same, bit for bit (tests step both side by
side); the state differs in form (lists in parameter order) and in one thing: the learning rate is a
plain attribute, ``lr``, which the caller sets per step (the trainer's warm-up and decay schedule), where
torch.optim has a scheduler object.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch.optim.adam import adam
from torch.optim.sgd import sgd


def _step_dtype() -> torch.dtype:
    # torch.optim's scalar dtype of Adam's step counter (float64 only under a float64 default dtype)
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


class _Optimizer:
    """Parameters in a fixed order, a learning rate and a count of steps taken."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = list(params)
        self.lr = float(lr)
        self.steps = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def _with_grad(self) -> list[int]:
        return [i for i, p in enumerate(self.params) if p.grad is not None]

    def state_dict(self) -> dict[str, Any]:
        return {"lr": self.lr, "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.lr, self.steps = float(state["lr"]), int(state["steps"])


class SGD(_Optimizer):
    """torch.optim.SGD's update (momentum, dampening 0, optional Nesterov, L2 weight decay)."""

    def __init__(
        self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
        foreach: bool | None = None,
    ) -> None:
        super().__init__(params, lr)
        self.momentum, self.weight_decay, self.nesterov, self.foreach = momentum, weight_decay, nesterov, foreach
        self.buffers: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        live = self._with_grad()
        buffers = [self.buffers[i] for i in live]
        sgd(
            [self.params[i] for i in live], [self.params[i].grad for i in live], buffers,
            weight_decay=self.weight_decay, momentum=self.momentum, lr=self.lr, dampening=0.0, nesterov=self.nesterov,
            maximize=False, foreach=self.foreach,
        )  # fmt: skip
        if self.momentum != 0:
            for i, buffer in zip(live, buffers, strict=True):
                self.buffers[i] = buffer
        self.steps += 1

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "buffers": list(self.buffers)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.buffers = [None if b is None else b.to(p.device) for b, p in zip(state["buffers"], self.params, strict=True)]


class Adam(_Optimizer):
    """torch.optim.Adam's update; with ``decoupled_weight_decay`` torch.optim.AdamW's."""

    def __init__(
        self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
        weight_decay: float = 0.0, decoupled_weight_decay: bool = False, foreach: bool | None = None,
    ) -> None:
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = (float(betas[0]), float(betas[1])), eps, weight_decay
        self.decoupled_weight_decay, self.foreach = decoupled_weight_decay, foreach
        self.moments: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        live = self._with_grad()
        for i in live:
            if self.moments[i] is None:  # lazily, as torch.optim does: step count, first and second moment
                p = self.params[i]
                zeros = torch.zeros_like(p, memory_format=torch.preserve_format)
                self.moments[i] = (torch.tensor(0.0, dtype=_step_dtype()), zeros, zeros.clone())
        moments = [self.moments[i] for i in live]
        adam(
            [self.params[i] for i in live], [self.params[i].grad for i in live], [m[1] for m in moments], [m[2] for m in moments],
            [], [m[0] for m in moments], foreach=self.foreach, has_complex=any(torch.is_complex(self.params[i]) for i in live),
            decoupled_weight_decay=self.decoupled_weight_decay, amsgrad=False, beta1=self.betas[0], beta2=self.betas[1],
            lr=self.lr, weight_decay=self.weight_decay, eps=self.eps, maximize=False,
        )  # fmt: skip
        self.steps += 1

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "moments": [None if m is None else list(m) for m in self.moments]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        # the step counts stay on the CPU (as torch.optim keeps them), the moments go where their parameter is
        self.moments = [
            None if m is None else (m[0].cpu(), m[1].to(p.device), m[2].to(p.device))
            for m, p in zip(state["moments"], self.params, strict=True)
        ]


def AdamW(params: Iterable[torch.Tensor], lr: float = 1e-3, weight_decay: float = 1e-2, **kwargs: Any) -> Adam:  # noqa: N802
    """torch.optim.AdamW's update (its default weight decay 0.01, decoupled)."""
    return Adam(params, lr, weight_decay=weight_decay, decoupled_weight_decay=True, **kwargs)
