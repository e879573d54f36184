"""Class-conditional generators by name from the config: ganrep's BigGAN-style cGAN, a diffusers UNet
diffusion model, or external class-labelled samples; trained on a dataset's imbalanced subset and asked
for candidates of given classes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from kdgen.generative.gan import GANConfig
from kdgen.generative.training import sample, train_gan
from kdgen.runtime import atomic_torch_save
from kdgen.train.trainer import as_rgb_batch

if TYPE_CHECKING:
    from kdgen.generative.diffusion import DiffusionConfig


def generator_config(spec: Mapping[str, Any], image_size: int, num_classes: int) -> GANConfig | DiffusionConfig:
    """The training config of a built-in generator entry (``gmaug.generators.<name>``)."""
    fields = {k: v for k, v in spec.items() if k != "family"}
    if spec["family"] == "biggan":
        return GANConfig(**{**fields, "family": "biggan"}, image_size=image_size, num_classes=num_classes)
    if spec["family"] == "diffusion":
        from kdgen.generative.diffusion import DiffusionConfig  # diffusers loads slowly: only where it is used

        return DiffusionConfig(**fields, image_size=image_size, num_classes=num_classes)
    raise ValueError(f"family = {spec['family']!r}: not a built-in generator (biggan or diffusion)")


def train_and_sample(
    spec: Mapping[str, Any],
    images: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    intended: np.ndarray,
    seed: int,
    state_dir: str | os.PathLike[str],
    generator_path: str | os.PathLike[str],
    device: str = "cpu",
    log: Callable[[str], None] = print,
) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Train the generator of ``spec`` on uint8 ``images`` (N, H, W, C) with class ``labels``, resumable
    from ``state_dir``; save it to ``generator_path``; return candidates of the ``intended`` classes
    (uint8 (M, H, W, C), drawn from ``seed``) and the loss history."""
    cfg = generator_config(spec, images.shape[1], num_classes)
    x, y = as_rgb_batch(images), torch.as_tensor(labels, dtype=torch.int64)
    log(f"{spec['family']}: {len(x)} images, {num_classes} classes, {len(intended)} candidates to draw; {cfg}")
    if isinstance(cfg, GANConfig):
        g_ema, history = train_gan(cfg, x, y, seed, state_dir, device=device, log=log)
        atomic_torch_save({"g_ema": g_ema.state_dict(), "config": json.dumps(asdict(cfg))}, generator_path)
        candidates = sample(g_ema, cfg, len(intended), seed, labels=np.asarray(intended)) if len(intended) else _empty(images)
    else:
        from kdgen.generative.diffusion import sample_diffusion, save_generator, train_diffusion

        model, history = train_diffusion(cfg, x, y, seed, state_dir, device=device, log=log)
        save_generator(model, cfg, generator_path)
        model = model.to(device)
        candidates = sample_diffusion(model, cfg, np.asarray(intended), seed, device=device) if len(intended) else _empty(images)
    return candidates, history


def _empty(images: np.ndarray) -> np.ndarray:
    return np.zeros((0, *images.shape[1:-1], 3), dtype=np.uint8)


def read_labelled_samples(path: str | os.PathLike[str], class_names: Sequence[str], image_size: int) -> tuple[np.ndarray, np.ndarray]:
    """External class-labelled samples at ``image_size`` px, RGB: an .npz with ``images`` (N, H, W, C) and
    ``labels`` (class indices or class names), or a folder with a sub-folder of images per class name.
    Labels that name no class of the dataset are an error that lists them."""
    from kdgen.data.sources import read_external_samples, rgb_at

    path = Path(path)
    names = list(class_names)
    if path.is_dir():
        folders = sorted(p for p in path.iterdir() if p.is_dir())
        unknown = [p.name for p in folders if p.name not in names]
        if unknown:
            raise ValueError(f"{path}: sub-folders {unknown} name no class of the dataset; expected folders named after its classes {names}")
        parts, labels = [], []
        for folder in folders:
            imgs = read_external_samples(folder, image_size)
            parts.append(imgs)
            labels.append(np.full(len(imgs), names.index(folder.name), dtype=np.int64))
        if not parts:
            raise ValueError(f"{path}: no class sub-folders; expected one folder of images per class name {names}")
        return np.concatenate(parts), np.concatenate(labels)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file or folder; expected an .npz (images, labels) or a folder per class")
    with np.load(path) as data:
        if not {"images", "labels"} <= set(data.files):
            raise ValueError(f"{path}: expected arrays 'images' and 'labels', found {data.files}")
        images, raw = data["images"], data["labels"]
    if raw.dtype.kind in "US":
        unknown = sorted(set(raw.astype(str).tolist()) - set(names))
        if unknown:
            raise ValueError(f"{path}: labels {unknown} name no class of the dataset; expected names from {names}")
        labels = np.array([names.index(v) for v in raw.astype(str)], dtype=np.int64)
    else:
        labels = raw.astype(np.int64)
        bad = sorted(set(labels[(labels < 0) | (labels >= len(names))].tolist()))
        if bad:
            raise ValueError(f"{path}: labels {bad} are not class indices of the dataset; expected 0..{len(names) - 1} ({names})")
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or len(images) != len(labels):
        raise ValueError(f"{path}: expected images (N, H, W, 1|3) and labels (N,), got {images.shape} and {labels.shape}")
    return rgb_at(images.astype(np.uint8), image_size), labels


def take_external(images: np.ndarray, labels: np.ndarray, per_class: np.ndarray, log: Callable[[str], None] = print) -> tuple[np.ndarray, np.ndarray]:
    """The first ``per_class[c]`` external samples of each class c (all of them where there are fewer,
    with a log line), as candidates in class order."""
    keep = []
    for c, n in enumerate(per_class):
        pool = np.flatnonzero(labels == c)
        if len(pool) < n:
            log(f"class {c}: {len(pool)} external samples, fewer than the {n} candidates asked for; all of them are candidates")
        keep.append(pool[:n])
    idx = np.concatenate(keep) if keep else np.zeros(0, dtype=np.int64)
    return images[idx], labels[idx]
