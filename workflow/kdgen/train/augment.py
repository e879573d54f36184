"""Augmentation policies on uint8 image batches (N, C, H, W), built from torchvision.transforms.v2.

Policies by config name:

``none``            the images as they are;
``base``            RandomResizedCrop (scale 0.2-1) only: the reference view of Affinity;
``weak``            RandomResizedCrop (scale 0.2-1), horizontal flip, rotation up to 15 degrees;
``strong``          the same crop and flip, AutoAugment (CIFAR-10 policy), one Cutout-style hole whose
                    side is 16/224 of the image side (as at ImageNet scale), at least one pixel;
``randaugment-N-M`` crop and flip, then RandAugment with N operations at magnitude M (0-30);
``ladder-K``        a strength ladder for config axes: crop and flip, then RandAugment(2, 3K), K = 0..10
                    (K = 0 is crop and flip alone: RandAugment at magnitude 0 changes nothing).

v2 transforms draw one set of parameters per call, so each image is transformed on its own. Every
draw comes from the seed passed in (the global torch generator is forked and restored), so a batch's
augmentation is a function of (policy, images, seed).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torchvision.transforms import v2

from kdgen.train.policies import policy_problem

Transform = Callable[[torch.Tensor], torch.Tensor]


class AugmentationError(ValueError):
    """An unknown policy name or an out-of-range parameter."""


def _crop(size: int) -> Transform:
    return v2.RandomResizedCrop(size, scale=(0.2, 1.0), antialias=True)


def _cutout(size: int) -> Transform:
    side = max(1, round(size * 16 / 224))
    area = side * side / (size * size)
    return v2.RandomErasing(p=1.0, scale=(area, area), ratio=(1.0, 1.0), value=0)


def build_transform(name: str, size: int) -> Transform | None:
    """The per-image v2 transform of policy ``name`` for ``size`` x ``size`` images (None for ``none``)."""
    problem = policy_problem(name)
    if problem:
        raise AugmentationError(problem)
    flip = v2.RandomHorizontalFlip()
    if name == "none":
        return None
    if name == "base":
        return _crop(size)
    if name == "weak":
        return v2.Compose([_crop(size), flip, v2.RandomRotation(15)])
    if name == "strong":
        return v2.Compose([_crop(size), flip, v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10), _cutout(size)])
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

    def __call__(self, images: torch.Tensor, seed: int) -> torch.Tensor:
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise TypeError(f"expected a uint8 batch (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        if self.transform is None:
            return images.clone()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return torch.stack([self.transform(img) for img in images])
