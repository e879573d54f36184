"""Augmentation policies on uint8 image batches (N, C, H, W), built from torchvision.transforms.v2.

Policies by config name:

``none``            the images as they are;
``base``            RandomResizedCrop (scale 0.2-1) only: the reference view of Affinity;
``weak``            RandomResizedCrop (scale 0.2-1), horizontal flip, rotation up to 15 degrees;
``strong``          ``weak`` (crop, flip, rotation), then AutoAugment (CIFAR-10 policy), then one Cutout-style
                    hole whose side is 16/224 of the image side (as at ImageNet scale), at least one pixel:
                    the paper's strong augmentation (Guo et al., lfkd);
``randaugment-N-M`` crop and flip, then RandAugment with N operations at magnitude M (0-30);
``ladder-K``        a strength ladder for config axes: crop and flip, then RandAugment(2, 3K), K = 1..10;
                    ``ladder-0`` is crop and flip alone. RandAugment at magnitude 0 is *not* the identity:
                    its magnitude-free operations (AutoContrast, Equalize) and Solarize (whose threshold is
                    the maximum at magnitude 0 and still inverts pure-white pixels) change many images, so
                    the ladder's first rung leaves RandAugment out rather than running it at magnitude 0.

v2 transforms draw one set of parameters per call, so each image is transformed on its own, from its
own seed: image i of a batch augmented with seed s draws from the i-th word of ``SeedSequence(s)``
(the global torch generator is forked and restored). So a batch's augmentation is a function of
(policy, images, seed), and two policies that share a prefix (``ladder-K`` and ``ladder-0``: crop and
flip) draw the same prefix for each image: ``ladder-0`` with seed s is exactly the crop-only view that
``ladder-K`` with seed s then transforms further.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import numpy as np
import torch

from kdgen.train.policies import policy_problem

Transform = Callable[[torch.Tensor], torch.Tensor]


def _v2() -> ModuleType:
    # torchvision is imported on first use: it costs ~2.5 CPU-s per process (it loads torch._dynamo), and
    # most jobs that import the trainer (GAN training, replication, FID, ID) never augment
    from torchvision.transforms import v2

    return v2


class AugmentationError(ValueError):
    """An unknown policy name or an out-of-range parameter."""


def _crop(size: int) -> Transform:
    return _v2().RandomResizedCrop(size, scale=(0.2, 1.0), antialias=True)


def _weak(size: int) -> list[Transform]:
    v2 = _v2()
    return [_crop(size), v2.RandomHorizontalFlip(), v2.RandomRotation(15)]


def _cutout(size: int) -> Transform:
    side = max(1, round(size * 16 / 224))
    area = side * side / (size * size)
    return _v2().RandomErasing(p=1.0, scale=(area, area), ratio=(1.0, 1.0), value=0)


def build_transform(name: str, size: int) -> Transform | None:
    """The per-image v2 transform of policy ``name`` for ``size`` x ``size`` images (None for ``none``)."""
    problem = policy_problem(name)
    if problem:
        raise AugmentationError(problem)
    if name == "none":
        return None
    v2 = _v2()
    flip = v2.RandomHorizontalFlip()
    if name == "base":
        return _crop(size)
    if name == "weak":
        return v2.Compose(_weak(size))
    if name == "strong":
        return v2.Compose([*_weak(size), v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10), _cutout(size)])
    kind, *values = name.split("-")
    if kind == "randaugment":
        n, m = map(int, values)
        return v2.Compose([_crop(size), flip, v2.RandAugment(num_ops=n, magnitude=m)])
    k = int(values[0])
    if k == 0:
        return v2.Compose([_crop(size), flip])
    return v2.Compose([_crop(size), flip, v2.RandAugment(num_ops=2, magnitude=3 * k)])


class Augmentation:
    """A seeded policy: ``aug(batch, seed)`` returns a new uint8 batch of the same shape."""

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.transform = build_transform(name, size)

    def __call__(self, images: torch.Tensor, seed: int, first: int = 0) -> torch.Tensor:
        """``images`` as images ``first, first + 1, ...`` of a sequence augmented with ``seed``: a split
        augmented batch by batch with ``first`` = the batch's offset looks the same for any batch size."""
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise TypeError(f"expected a uint8 batch (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        if self.transform is None:
            return images.clone()
        seeds = np.random.SeedSequence(seed).generate_state(first + len(images), np.uint64)[first:]
        out = []
        with torch.random.fork_rng(devices=[]):
            for img, s in zip(images, seeds):
                # the CPU generator v2 draws from; torch.manual_seed also visits every accelerator backend
                # and costs ~100x more, which matters once per image
                torch.default_generator.manual_seed(int(s))
                out.append(self.transform(img))
        return torch.stack(out)
