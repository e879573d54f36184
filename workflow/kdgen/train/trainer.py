"""A resumable, deterministic classifier trainer with a hook for extra loss terms and guarded teachers.

The loop knows nothing of the method it trains. A *method* is any callable
``method(model, images, labels, context) -> (logits, {name: loss}[, {name: value}])``: the trainer sums
the named losses, back-propagates the sum, and logs each term by name (``train_<name>`` columns); an
optional third dict holds values that are logged the same way but not added to the loss (a
distillation method's per-teacher KL). ``context`` is a :class:`BatchContext`: the dataset-level ids
of the batch's images (so a teacher over per-image embeddings can look its batch up), the epoch and
the step. Plain cross-entropy is :class:`CrossEntropy`; distillation is
:class:`kdgen.distill.kd.KnowledgeDistillation`, a method with the same call, not a copy of the loop.

Teachers are the trainer's to protect: a method that consults other models lists them in its
``teachers`` mapping (and ``frozen=[...]`` adds more). The trainer moves them to the device, takes them
out of the gradient (``requires_grad`` False, never in the optimizer) and puts them in eval mode at
the start of every epoch, so their BatchNorm statistics cannot drift; ``TrainConfig.teacher_mode =
"train"`` reproduces published code that ran its teachers in train mode (batch statistics, drifting
running averages), for comparison.

Determinism: the batch order of epoch e is drawn from ``(seed, e)``, the augmentation of batch b
from ``(seed, e, b)``, and the global torch generator is re-seeded from ``(seed, e)`` at the start of
every epoch. So the same config and seed give the same metrics on CPU, and a run resumed from the
state saved at the end of epoch e continues exactly as an uninterrupted one. The per-epoch metrics
hold no wall-clock values (two runs of one config give the same bytes); seconds per epoch are
returned apart, in :attr:`TrainResult.timing`.

Resume never mixes runs: the state records the run's identity (the training config, the method and
its settings, a hash of each teacher's state dict, hashes of the training images, labels and ids and
of the validation split), and a state of another identity is an error that names what differs.
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

from kdgen.runtime import atomic_torch_save, load_torch_file
from kdgen.train.augment import Augmentation
from kdgen.train.optim import SGD, Adam, AdamW


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
    teacher_mode: str = "eval"  # eval | train (the teachers' BatchNorm mode during training)
    inputs: str = "images"  # images (uint8, scaled to [0, 1]) | features (float rows, used as they are)
    selection: str = "top1"  # the best checkpoint: top1 (the first epoch of the highest val top-1) | top1_loss (ties: lower val loss)


@dataclass(frozen=True)
class BatchContext:
    """What a method may need beyond the batch itself.

    ``ids``: the dataset-level ids of the batch's images, in the order of ``images`` (int64, on CPU);
    ``epoch``: 0-based epoch; ``batch``: the batch's index within the epoch; ``step``: optimizer steps
    taken before this batch since the start of training.
    """

    ids: torch.Tensor
    epoch: int
    batch: int
    step: int


MethodOutput = tuple[torch.Tensor, dict[str, torch.Tensor]] | tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]


class Method(Protocol):
    """A training method. Optional attributes the trainer reads: ``teachers`` (a mapping of names to the
    models it consults, which the trainer guards) and ``settings()`` (plain values that define the
    method, part of the run's identity)."""

    def __call__(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, context: BatchContext) -> MethodOutput: ...


class CrossEntropy:
    """Cross-entropy on the model's logits, with optional label smoothing: the loss term ``ce``."""

    def __init__(self, label_smoothing: float = 0.0) -> None:
        self.label_smoothing = label_smoothing

    def settings(self) -> dict[str, Any]:
        return {"label_smoothing": self.label_smoothing}

    def __call__(
        self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, context: BatchContext | None = None
    ) -> MethodOutput:
        logits = model(images)
        return logits, {"ce": F.cross_entropy(logits, labels, label_smoothing=self.label_smoothing)}


def method_teachers(method: Any) -> dict[str, nn.Module]:
    """The models a method consults, by name (its ``teachers`` attribute; empty when it has none)."""
    return dict(getattr(method, "teachers", None) or {})


def tensor_digest(*tensors: torch.Tensor) -> str:
    """A SHA-256 (16 hex digits) of the dtypes, shapes and bytes of ``tensors``."""
    h = hashlib.sha256()
    for t in tensors:
        t = t.detach().cpu().contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def state_digest(module: nn.Module) -> str:
    """A hash of a model's state dict (names, dtypes, shapes, values of parameters and buffers)."""
    state = module.state_dict()
    h = hashlib.sha256()
    for name in sorted(state):
        h.update(name.encode())
        h.update(tensor_digest(state[name]).encode())
    return h.hexdigest()[:16]


def run_identity(
    cfg: TrainConfig,
    method: Any,
    teachers: dict[str, nn.Module],
    train: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
) -> dict[str, Any]:
    """What makes a training run the same run: resuming is allowed only between equal identities."""
    settings = method.settings() if hasattr(method, "settings") else {}
    return {
        "config": asdict(cfg),
        "method": f"{type(method).__module__}.{type(method).__qualname__}",
        "method settings": json.loads(json.dumps(settings, sort_keys=True)),
        "teachers": {name: state_digest(m) for name, m in sorted(teachers.items())},
        "training data": tensor_digest(*train),
        "validation data": tensor_digest(*val),
    }


def identity_differences(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Human-readable differences between two run identities (empty when they are equal)."""
    out = []
    for key, new in now.items():
        old = saved.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            keys = sorted(set(old) | set(new))
            parts = [f"{k} {old.get(k, '(absent)')!r} -> {new.get(k, '(absent)')!r}" for k in keys if old.get(k) != new.get(k)]
            out.append(f"{key}: {', '.join(parts)}")
        else:
            out.append(f"{key}: {old!r} -> {new!r}")
    return out


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


def seed_device(seed: int, device: torch.device) -> None:
    """Seed the CPU's default generator and, on a CUDA device, that device's, as ``torch.manual_seed``
    would, without queueing a lazy seeding call (with a stack trace each) for every other backend (XPU,
    MTIA, CUDA on a CPU run): for seeding on every training step."""
    torch.default_generator.manual_seed(seed)
    if device.type == "cuda":
        torch.cuda.default_generators[torch.cuda.current_device() if device.index is None else device.index].manual_seed(seed)


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


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> SGD | Adam:
    """The run's optimizer (:mod:`kdgen.train.optim`: torch.optim's updates without its dynamo import) at
    the learning rate of step 0 of the schedule, which :func:`train_epoch` sets step by step."""
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, nesterov=cfg.momentum > 0)
    if cfg.optimizer == "adamw":
        return AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    raise TrainingError(f"unknown optimizer {cfg.optimizer!r}; expected sgd or adamw")


INPUT_KINDS = ("images", "features")


def as_model_input(x: torch.Tensor, kind: str, device: torch.device) -> torch.Tensor:
    """A batch as the model takes it: uint8 images scaled to float [0, 1], or float feature rows (a head
    over precomputed embeddings, such as the xkd crossmodal teacher) as they are."""
    if kind == "images":
        return x.to(device).float().div_(255)
    if kind == "features":
        return x.to(device).float()
    raise TrainingError(f"unknown inputs kind {kind!r}; expected one of {list(INPUT_KINDS)}")


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
def predict_logits(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = 512,
    device: str | torch.device = "cpu",
    precision: str = "fp32",
    channels_last: bool = False,
    augmentation: str = "none",
    seed: int = 0,
    inputs: str = "images",
) -> torch.Tensor:
    """float32 logits (N, K), on the CPU, of ``model`` in eval mode on uint8 ``images`` (N, C, H, W)
    (or on float feature rows with ``inputs="features"``).

    With an ``augmentation`` policy the images are seen under it, each image's draw a function of
    ``(seed, its position)`` and not of the batch size (the Affinity of an augmentation compares the
    accuracy under it with the accuracy under ``base``).
    """
    if len(images) == 0:
        raise TrainingError("cannot predict on an empty split")
    device = resolve_device(str(device))
    augment = Augmentation(augmentation, images.shape[-1])
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size]
        x = as_model_input(x if augment.is_identity else augment(x, seed, first=start), inputs, device)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast(device, precision):
            out.append(model(x).float().cpu())
    model.train(was_training)
    return torch.cat(out)


def evaluate(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = 512,
    device: str | torch.device = "cpu",
    precision: str = "fp32",
    channels_last: bool = False,
    inputs: str = "images",
) -> dict[str, Any]:
    """Loss, top-1 and top-5 accuracy (%) and per-class top-1 of ``model`` on uint8 ``images`` (or float
    feature rows with ``inputs="features"``)."""
    if len(images) == 0:
        raise TrainingError("cannot evaluate on an empty split")
    logits = predict_logits(model, images, batch_size, device, precision, channels_last, inputs=inputs)
    labels = labels.cpu()
    num_classes = logits.shape[1]
    ranked = logits.topk(min(5, num_classes), dim=1).indices
    hit1 = ranked[:, 0] == labels
    n = len(images)
    totals = torch.bincount(labels, minlength=num_classes)
    correct_per_class = torch.bincount(labels[hit1], minlength=num_classes)
    return {
        "n": n,
        "loss": float(F.cross_entropy(logits, labels, reduction="sum")) / n,
        "top1": 100.0 * int(hit1.sum()) / n,
        "top5": 100.0 * int((ranked == labels[:, None]).any(1).sum()) / n,
        # a class without images in this split has no accuracy (None), never 0
        "per_class_top1": [100.0 * int(c) / int(t) if t else None for c, t in zip(correct_per_class, totals)],
    }


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint written by this module (tensors and plain values only); a damaged one raises
    :class:`kdgen.runtime.DamagedFileError` naming it."""
    return load_torch_file(path)


@dataclass
class TrainResult:
    history: list[dict[str, float]]  # per-epoch metrics: a function of the config alone
    best_epoch: int
    best_val_top1: float
    resumed_from: int  # epochs already done when this call started (0 = fresh)
    timing: list[dict[str, float]] = field(default_factory=list)  # per epoch: epoch, seconds (wall clock)


def guard_teachers(teachers: dict[str, nn.Module], mode: str) -> None:
    """Take ``teachers`` out of the gradient and put them in ``mode`` (eval, or train to reproduce
    published code that ran its teachers with batch statistics)."""
    if mode not in ("eval", "train"):
        raise TrainingError(f"unknown teacher_mode {mode!r}; expected eval or train")
    for m in teachers.values():
        m.requires_grad_(False).train(mode == "train")


@dataclass
class TrainingRun:
    """What :func:`fit` sets up once for a run: the model and its guarded teachers on the device, the
    optimizer and schedule, the augmentation, and the run's identity (what a saved state must match)."""

    model: nn.Module
    cfg: TrainConfig
    method: Method
    teachers: dict[str, nn.Module]
    device: torch.device
    memory_format: torch.memory_format
    optimizer: SGD | Adam
    steps_per_epoch: int
    augment: Augmentation | None
    identity: dict[str, Any]


@dataclass
class Progress:
    """Where a run stands: the epochs done (their metrics and seconds) and the best validation epoch so far."""

    history: list[dict[str, float]] = field(default_factory=list)
    timing: list[dict[str, float]] = field(default_factory=list)
    start_epoch: int = 0
    best_top1: float = -1.0
    best_epoch: int = -1
    best_loss: float = math.inf


def setup_run(
    model: nn.Module,
    cfg: TrainConfig,
    method: Method | None,
    frozen: Sequence[nn.Module],
    train: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    val: tuple[torch.Tensor, torch.Tensor],
) -> TrainingRun:
    """The run of ``model`` under ``cfg``: the method (cross-entropy by default), its teachers and the
    ``frozen`` models guarded and on the device, the optimizer, the warm-up and decay schedule, the
    augmentation, and the identity of the run over its ``train`` (images, labels, ids) and ``val`` data."""
    train_images = train[0]
    device = resolve_device(cfg.device)
    method = method or CrossEntropy(cfg.label_smoothing)
    teachers = {f"frozen{i}": m for i, m in enumerate(frozen)}
    teachers.update(method_teachers(method))
    teachers = {name: m for name, m in teachers.items() if m is not model}
    guard_teachers(teachers, cfg.teacher_mode)
    identity = run_identity(cfg, method, teachers, train, val)
    memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
    model.to(device=device, memory_format=memory_format)
    for m in teachers.values():
        m.to(device=device, memory_format=memory_format)
    steps_per_epoch = max(len(train_images) // cfg.batch_size + (len(train_images) % cfg.batch_size >= 2), 1)
    optimizer = make_optimizer(model, cfg)
    optimizer.lr = cfg.lr * lr_factor(0, steps_per_epoch, cfg)
    if cfg.inputs == "features" and cfg.augmentation != "none":
        raise TrainingError(f"augmentation {cfg.augmentation!r} asked for feature rows; augmentations apply to images, use none")
    augment = Augmentation(cfg.augmentation, train_images.shape[-1]) if cfg.inputs == "images" else None
    if cfg.selection not in ("top1", "top1_loss"):
        raise TrainingError(f"unknown selection {cfg.selection!r}; expected top1 or top1_loss")
    return TrainingRun(model, cfg, method, teachers, device, memory_format, optimizer, steps_per_epoch, augment, identity)


def resume(run: TrainingRun, state_path: Path, log: Callable[[str], None] = print) -> Progress:
    """The progress saved in ``state_path`` by an earlier call of the same run, its model, optimizer,
    schedule and train-mode teachers restored into ``run``; a fresh :class:`Progress` when there is none.
    A state of another run is a :class:`TrainingError` naming what differs."""
    if not state_path.is_file():
        return Progress()
    state = load_checkpoint(state_path)
    if "identity" in state:
        differences = identity_differences(state["identity"], run.identity)
    else:
        differences = ["the saved state records no run identity (an older kdgen wrote it)"]
    if differences:
        raise TrainingError(
            f"{state_path} belongs to another run, and resuming would mix the two; saved -> now: " + "; ".join(differences)
            + f". Delete {state_path.parent} to start this run afresh, or restore the settings of the saved one."
        )
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    for name, teacher_state in state.get("teachers", {}).items():
        run.teachers[name].load_state_dict(teacher_state)  # train-mode teachers: their drifted statistics
    log(f"resuming after epoch {state['epoch'] + 1} of {run.cfg.epochs} from {state_path}")
    return Progress(
        state["history"], state["timing"], state["epoch"] + 1, state["best_val_top1"], state["best_epoch"],
        state.get("best_val_loss", math.inf),
    )


def train_epoch(
    run: TrainingRun, epoch: int, images: torch.Tensor, labels: torch.Tensor, ids: torch.Tensor, progress: bool = True
) -> dict[str, float]:
    """One epoch of ``run`` over the training data: the batch order drawn from ``(seed, epoch)``, each batch
    augmented from ``(seed, epoch, batch)``, the method's losses summed and stepped. Returns the epoch's
    ``train_<term>`` means (every loss term and logged value) and ``train_top1``."""
    cfg, model = run.cfg, run.model
    torch.manual_seed(derive_seed(cfg.seed, epoch, 1))
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(derive_seed(cfg.seed, epoch, 0)))
    batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
    batches = [b for b in batches if len(b) >= 2]  # batch norm needs two samples
    model.train()
    guard_teachers(run.teachers, cfg.teacher_mode)
    sums: dict[str, float] = {}
    correct, seen = 0, 0
    iterator: Any = enumerate(batches)
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, total=len(batches), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch", leave=False)
    for b, idx in iterator:
        x = images[idx] if run.augment is None else run.augment(images[idx], derive_seed(cfg.seed, epoch, b, 2))
        x = as_model_input(x, cfg.inputs, run.device)
        if cfg.channels_last:
            x = x.contiguous(memory_format=run.memory_format)
        y = labels[idx].to(run.device)
        context = BatchContext(ids=ids[idx], epoch=epoch, batch=b, step=epoch * run.steps_per_epoch + b)
        with autocast(run.device, cfg.precision):
            logits, losses, *extra = run.method(model, x, y, context)
        loss = sum(losses.values())
        run.optimizer.zero_grad()
        loss.backward()
        run.optimizer.step()
        # the schedule's rate for the next step (as torch's LambdaLR sets it after each step)
        run.optimizer.lr = cfg.lr * lr_factor(run.optimizer.steps, run.steps_per_epoch, cfg)
        n = len(idx)
        seen += n
        correct += int((logits.detach().argmax(1) == y).sum())
        for name, value in {"loss": loss, **losses, **(extra[0] if extra else {})}.items():
            sums[name] = sums.get(name, 0.0) + float(value.detach()) * n
    return {**{f"train_{k}": v / seen for k, v in sums.items()}, "train_top1": 100.0 * correct / seen}


def save_checkpoints(run: TrainingRun, done: Progress, epoch: int, val: dict[str, float], state_dir: Path) -> None:
    """After ``epoch``: its weights to ``best.pt`` when its val top-1 is the best so far (with
    ``selection: top1_loss``, a tie broken by the lower val loss), and the resumable state to ``state.pt``
    (both atomic)."""
    # a model that reaches 100% val top-1 early (a crossmodal teacher told the class name) is selected by
    # its val loss among the epochs of that top-1 with top1_loss, not at the first such epoch
    tie = run.cfg.selection == "top1_loss" and val["top1"] == done.best_top1 and val["loss"] < done.best_loss
    if val["top1"] > done.best_top1 or tie:
        done.best_top1, done.best_epoch, done.best_loss = val["top1"], epoch + 1, val["loss"]
        atomic_torch_save({"model": run.model.state_dict(), "epoch": epoch + 1, "val_top1": val["top1"]}, state_dir / "best.pt")
    atomic_torch_save(
        {
            "model": run.model.state_dict(),
            "optimizer": run.optimizer.state_dict(),
            "teachers": {name: m.state_dict() for name, m in run.teachers.items()} if run.cfg.teacher_mode == "train" else {},
            "epoch": epoch,
            "history": done.history,
            "timing": done.timing,
            "best_val_top1": done.best_top1,
            "best_epoch": done.best_epoch,
            "best_val_loss": done.best_loss,
            "identity": run.identity,
        },
        state_dir / "state.pt",
    )


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
    train_ids: torch.Tensor | None = None,
) -> TrainResult:
    """Train ``model`` in place; keep the resumable state in ``state_dir``.

    ``train_ids`` are the dataset-level ids of the training images (default: their positions), passed
    to the method batch by batch. The method's ``teachers`` and the ``frozen`` models are guarded (see
    the module docstring). ``state_dir`` holds ``state.pt`` (model, optimizer, epoch, history, the
    run's identity; written atomically at the end of every epoch) and ``best.pt`` (the weights of the
    best validation top-1 so far). A call that finds a ``state.pt`` of the same run continues after its
    epoch; one of another run raises :class:`TrainingError` naming what differs. At the end ``model``
    holds the weights of the last epoch. The steps: :func:`setup_run`, :func:`resume`, then per epoch
    :func:`train_epoch`, :func:`evaluate` and :func:`save_checkpoints`.
    """
    if len(train_images) < 2:
        raise TrainingError(f"need at least two training images, got {len(train_images)}")
    if train_ids is None:
        train_ids = torch.arange(len(train_images))
    train_ids = torch.as_tensor(train_ids, dtype=torch.int64).cpu()
    if train_ids.shape != (len(train_images),):
        raise TrainingError(f"train_ids has shape {tuple(train_ids.shape)}; expected one id per training image ({len(train_images)},)")
    run = setup_run(model, cfg, method, frozen, (train_images, train_labels, train_ids), (val_images, val_labels))
    state_dir = Path(state_dir)
    state_dir.mkdir(parents=True, exist_ok=True)
    done = resume(run, state_dir / "state.pt", log)
    for epoch in range(done.start_epoch, cfg.epochs):
        began = time.perf_counter()
        row = train_epoch(run, epoch, train_images, train_labels, train_ids, progress)
        val = evaluate(model, val_images, val_labels, cfg.eval_batch_size, run.device, cfg.precision, cfg.channels_last, cfg.inputs)
        row = {
            "epoch": epoch + 1,
            "lr": run.optimizer.lr,
            **row,
            "val_loss": val["loss"],
            "val_top1": val["top1"],
            "val_top5": val["top5"],
        }
        done.history.append(row)
        done.timing.append({"epoch": epoch + 1, "seconds": time.perf_counter() - began})
        save_checkpoints(run, done, epoch, val, state_dir)
        log(
            f"epoch {epoch + 1}/{cfg.epochs}: train loss {row['train_loss']:.4f} top-1 {row['train_top1']:.2f} | "
            f"val loss {row['val_loss']:.4f} top-1 {row['val_top1']:.2f} top-5 {row['val_top5']:.2f} | {done.timing[-1]['seconds']:.1f}s"
        )
    for m in run.teachers.values():
        m.eval()
    return TrainResult(done.history, done.best_epoch, done.best_top1, done.start_epoch, done.timing)
