"""A resumable, deterministic classifier trainer with a hook for extra loss terms and frozen models.

The loop knows nothing of the method it trains. A *method* is any callable
``method(model, images, labels) -> (logits, {name: loss})``: the trainer sums the named losses,
back-propagates the sum, and logs each term by name (``train_<name>`` columns). Frozen models that a
method consults (a distillation method's teachers) are passed as ``frozen=[...]``: the trainer moves
them to the device, keeps them in eval mode and out of the optimizer. Plain cross-entropy is
:class:`CrossEntropy`; a distillation method is a new class with the same call, not a copy of the loop.

Determinism: the batch order of epoch e is drawn from ``(seed, e)``, the augmentation of batch b
from ``(seed, e, b)``, and the global torch generator is re-seeded from ``(seed, e)`` at the start of
every epoch. So the same config and seed give the same metrics on CPU, and a run resumed from the
state saved at the end of epoch e continues exactly as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from kdgen.runtime import atomic_torch_save
from kdgen.train.augment import Augmentation


class TrainingError(RuntimeError):
    """A training setting that cannot work here (an absent device, an empty split)."""


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    eval_batch_size: int = 512
    optimizer: str = "sgd"  # sgd | adamw
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"  # cosine | step
    warmup_epochs: int = 0
    milestones: list[float] = field(default_factory=lambda: [0.5, 0.75])  # fractions of the epochs (step)
    gamma: float = 0.1
    label_smoothing: float = 0.0
    channels_last: bool = False
    augmentation: str = "none"
    seed: int = 0
    device: str = "cpu"
    precision: str = "fp32"  # fp32 | bf16

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


class Method(Protocol):
    def __call__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]: ...


class CrossEntropy:
    """Cross-entropy on the model's logits, with optional label smoothing: the loss term ``ce``."""

    def __init__(self, label_smoothing: float = 0.0) -> None:
        self.label_smoothing = label_smoothing

    def __call__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        logits = model(images)
        return logits, {"ce": F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)}


class Normalized(nn.Module):
    """A classifier that takes images in [0, 1] and standardises them with stored channel statistics."""

    def __init__(self, backbone: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone((x - self.mean) / self.std)


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and standard deviation of a uint8 batch (N, C, H, W), in [0, 1] units."""
    x = images.float().div_(255).transpose(0, 1).reshape(images.shape[1], -1)
    return x.mean(1).tolist(), x.std(1).clamp_min(1e-3).tolist()


def as_rgb_batch(images: np.ndarray) -> torch.Tensor:
    """uint8 images (N, H, W, C) -> a contiguous uint8 tensor (N, 3, H, W); grey is repeated."""
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    return x.contiguous()


def derive_seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) for p in parts]).generate_state(1)[0])


def lr_factor(step: int, steps_per_epoch: int, cfg: TrainConfig) -> float:
    """Learning-rate multiplier at optimizer step ``step``: linear warm-up, then cosine or step decay."""
    epoch = step / steps_per_epoch
    if epoch < cfg.warmup_epochs:
        return (step + 1) / (cfg.warmup_epochs * steps_per_epoch)
    if cfg.schedule == "cosine":
        span = max(cfg.epochs - cfg.warmup_epochs, 1e-9)
        return 0.5 * (1 + math.cos(math.pi * min((epoch - cfg.warmup_epochs) / span, 1.0)))
    if cfg.schedule == "step":
        return cfg.gamma ** sum(epoch >= m * cfg.epochs for m in cfg.milestones)
    raise TrainingError(f"unknown schedule {cfg.schedule!r}; expected cosine or step")


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=cfg.momentum > 0)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise TrainingError(f"unknown optimizer {cfg.optimizer!r}; expected sgd or adamw")


def resolve_device(name: str) -> torch.device:
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"device {name!r} asked for, but CUDA is not available here; set device: cpu in the config")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise TrainingError(f"device {name!r} asked for, but MPS is not available here; set device: cpu in the config")
    return device


def autocast(device: torch.device, precision: str) -> torch.autocast:
    if precision not in ("fp32", "bf16"):
        raise TrainingError(f"unknown precision {precision!r}; expected fp32 or bf16")
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = 512,
    device: str | torch.device = "cpu",
    precision: str = "fp32",
    channels_last: bool = False,
) -> dict[str, Any]:
    """Loss, top-1 and top-5 accuracy (%) and per-class top-1 of ``model`` on uint8 ``images``."""
    if len(images) == 0:
        raise TrainingError("cannot evaluate on an empty split")
    device = resolve_device(str(device))
    was_training = model.training
    model.eval()
    num_classes, loss_sum, top1, top5 = None, 0.0, 0, 0
    correct_per_class: torch.Tensor | None = None
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device).float().div_(255)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        y = labels[start : start + batch_size].to(device)
        with autocast(device, precision):
            logits = model(x)
        logits = logits.float()
        num_classes = logits.shape[1]
        loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
        ranked = logits.topk(min(5, num_classes), dim=1).indices
        hit1 = ranked[:, 0] == y
        top1 += int(hit1.sum())
        top5 += int((ranked == y[:, None]).any(1).sum())
        counts = torch.bincount(y[hit1].cpu(), minlength=num_classes)
        correct_per_class = counts if correct_per_class is None else correct_per_class + counts
    model.train(was_training)
    n = len(images)
    totals = torch.bincount(labels, minlength=num_classes).clamp_min(1)
    return {
        "n": n,
        "loss": loss_sum / n,
        "top1": 100.0 * top1 / n,
        "top5": 100.0 * top5 / n,
        "per_class_top1": (100.0 * correct_per_class / totals).tolist(),
    }


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by this module (tensors and plain values only)."""
    return torch.load(path, map_location="cpu", weights_only=True)


@dataclass
class TrainResult:
    history: list[dict[str, float]]
    best_epoch: int
    best_val_top1: float
    resumed_from: int  # epochs already done when this call started (0 = fresh)


def fit(
    model: nn.Module,
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    val_images: torch.Tensor,
    val_labels: torch.Tensor,
    cfg: TrainConfig,
    state_dir: str | os.PathLike[str],
    method: Method | None = None,
    frozen: Sequence[nn.Module] = (),
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Train ``model`` in place; keep the resumable state in ``state_dir``.

    ``state_dir`` holds ``state.pt`` (model, optimizer, epoch, history; written atomically at the end
    of every epoch) and ``best.pt`` (the weights of the best validation top-1 so far). A call that
    finds a ``state.pt`` of the same config continues after its epoch; one of another config starts
    over. At the end ``model`` holds the weights of the last epoch.
    """
    if len(train_images) < 2:
        raise TrainingError(f"need at least two training images, got {len(train_images)}")
    device = resolve_device(cfg.device)
    method = method or CrossEntropy(cfg.label_smoothing)
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format)
    for m in frozen:
        m.to(device=device, memory_format=memory_format).eval().requires_grad_(False)
    optimizer = make_optimizer(model, cfg)
    steps_per_epoch = max(len(train_images) // cfg.batch_size + (len(train_images) % cfg.batch_size >= 2), 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(step, steps_per_epoch, cfg))
    augment = Augmentation(cfg.augmentation, train_images.shape[-1])

    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    state_path, best_path = state_dir / "state.pt", state_dir / "best.pt"
    history: list[dict[str, float]] = []
    start_epoch, best_top1, best_epoch = 0, -1.0, -1
    if state_path.is_file():
        state = load_checkpoint(state_path)
        if state["fingerprint"] == cfg.fingerprint() and state["num_train"] == len(train_images):
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            history, start_epoch = state["history"], state["epoch"] + 1
            best_top1, best_epoch = state["best_val_top1"], state["best_epoch"]
            log(f"resuming after epoch {state['epoch'] + 1} of {cfg.epochs} from {state_path}")
        else:
            log(f"ignoring {state_path}: it belongs to another config or training set")

    for epoch in range(start_epoch, cfg.epochs):
        began = time.perf_counter()
        torch.manual_seed(derive_seed(cfg.seed, epoch, 1))
        order = torch.randperm(len(train_images), generator=torch.Generator().manual_seed(derive_seed(cfg.seed, epoch, 0)))
        batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
        batches = [b for b in batches if len(b) >= 2]  # batch norm needs two samples
        model.train()
        sums: dict[str, float] = {}
        correct, seen = 0, 0
        iterator: Any = enumerate(batches)
        if progress:
            from tqdm import tqdm

            iterator = tqdm(iterator, total=len(batches), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=False)
        for b, idx in iterator:
            x = augment(train_images[idx], derive_seed(cfg.seed, epoch, b, 2)).to(device).float().div_(255)
            x = x.contiguous(memory_format=memory_format)
            y = train_labels[idx].to(device)
            with autocast(device, cfg.precision):
                logits, losses = method(model, x, y)
            loss = sum(losses.values())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            n = len(idx)
            seen += n
            correct += int((logits.detach().argmax(1) == y).sum())
            for name, value in {"loss": loss, **losses}.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach()) * n
        val = evaluate(model, val_images, val_labels, cfg.eval_batch_size, device, cfg.precision, cfg.channels_last)
        row = {
            "epoch": epoch + 1,
            "lr": optimizer.param_groups[0]["lr"],
            **{f"train_{k}": v / seen for k, v in sums.items()},
            "train_top1": 100.0 * correct / seen,
            "val_loss": val["loss"],
            "val_top1": val["top1"],
            "val_top5": val["top5"],
            "seconds": time.perf_counter() - began,
        }
        history.append(row)
        if val["top1"] > best_top1:
            best_top1, best_epoch = val["top1"], epoch + 1
            atomic_torch_save({"model": model.state_dict(), "epoch": epoch + 1, "val_top1": val["top1"]}, best_path)
        atomic_torch_save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": epoch,
                "history": history,
                "best_val_top1": best_top1,
                "best_epoch": best_epoch,
                "fingerprint": cfg.fingerprint(),
                "num_train": len(train_images),
            },
            state_path,
        )
        log(
            f"epoch {epoch + 1}/{cfg.epochs}: train loss {row['train_loss']:.4f} top-1 {row['train_top1']:.2f} | "
            f"val loss {row['val_loss']:.4f} top-1 {row['val_top1']:.2f} top-5 {row['val_top5']:.2f} | {row['seconds']:.1f}s"
        )
    return TrainResult(history, best_epoch, best_top1, start_epoch)
