"""Augmentation policies on uint8 image batches (N, C, H, W), applied to the whole batch at once.

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

How a batch is augmented (issue 22: the per-image torchvision loop was most of a small model's step):

- **Geometry** (crop, flip, rotation) is one affine map per image, all sampled in one ``grid_sample``
  (bilinear, zeros outside). The crop box is drawn as torchvision's ``RandomResizedCrop`` draws it (ten
  tries of area scale and log aspect ratio, the first that fits, else the whole image), the flip with
  probability 1/2 and the angle uniformly in +-15 degrees. torchvision resizes the crop (bilinear) and
  then rotates it (nearest); the single bilinear sampling here is the same map in one step.
- **AutoAugment / RandAugment** use torchvision's own operation tables and operations: each image draws
  its sub-policy or operations, magnitude signs and application coins as torchvision does, then the
  images that drew the same operation at the same magnitude go through torchvision's operation together,
  one call per group (an operation on one image equals that operation inside the group; checked in tests).
- **Cutout** is a zero square at a uniform position, drawn per image, masked over the batch at once.

Every draw of image i of a batch augmented with seed s is a function of (s, i) alone: each stage reads
row i of its own table of uniforms, seeded from s and that stage. So a batch's augmentation is a function
of (policy, images, seed); ``first`` = k makes a batch augment as images k, k+1, ... of a longer sequence
(a split augmented in batches of any size gives the same images); and two policies that share a stage
draw it alike: ``ladder-0`` with seed s is exactly the crop and flip that ``ladder-K`` with seed s then
transforms further, and ``weak``'s geometry is ``strong``'s. The global torch generator is not touched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from kdgen.train.policies import policy_problem

CROP_SCALE = (0.2, 1.0)
CROP_RATIO = (3 / 4, 4 / 3)
CROP_TRIES = 10  # torchvision's RandomResizedCrop tries ten boxes before it falls back
WEAK_DEGREES = 15.0

# the columns of each stage's table of uniforms; a stage's draws never depend on another stage's
GEOMETRY_COLUMNS = 2 * CROP_TRIES + 4  # per try: area scale, log ratio; then top, left, flip, angle
CUTOUT_COLUMNS = 2  # top, left
_GEOMETRY, _OPS, _CUTOUT = range(3)  # stage indices into the seed's SeedSequence


def _v2() -> ModuleType:
    # torchvision is imported on first use: it costs ~2.5 CPU-s per process (it loads torch._dynamo), and
    # most jobs that import the trainer (GAN training, replication, FID, ID) never augment
    from torchvision.transforms import v2

    return v2


class AugmentationError(ValueError):
    """An unknown policy name or an out-of-range parameter."""


@dataclass(frozen=True)
class Geometry:
    """The crop-flip-rotation stage: which of the three a policy has (the crop always)."""

    flip: bool
    degrees: float  # 0: no rotation


def cutout_side(size: int) -> int:
    """The Cutout hole's side for ``size`` x ``size`` images: 16/224 of it, at least one pixel."""
    return max(1, round(size * 16 / 224))


def _uniforms(seed: int, stage: int, first: int, n: int, columns: int) -> torch.Tensor:
    """Rows ``first .. first + n`` of stage ``stage``'s (rows, columns) table of float64 uniforms of seed
    ``seed``: row i depends on (seed, stage, i) alone."""
    stage_seed = int(np.random.SeedSequence(int(seed)).generate_state(stage + 1, np.uint64)[stage])
    table = torch.rand((first + n, columns), generator=torch.Generator().manual_seed(stage_seed), dtype=torch.float64)
    return table[first:]


def crop_boxes(u: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(N, 4) integer crop boxes (top, left, h, w) from (N, 2 * CROP_TRIES + 2) uniforms, drawn as
    torchvision's RandomResizedCrop(scale=CROP_SCALE) draws them: the first of ten tries whose box fits
    the image, else the whole image (torchvision's fallback for an image whose aspect ratio is inside
    CROP_RATIO, as every square image is)."""
    area = height * width
    scale = CROP_SCALE[0] + (CROP_SCALE[1] - CROP_SCALE[0]) * u[:, 0 : 2 * CROP_TRIES : 2]
    log_lo, log_hi = math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1])
    ratio = torch.exp(log_lo + (log_hi - log_lo) * u[:, 1 : 2 * CROP_TRIES : 2])
    w = torch.round(torch.sqrt(area * scale * ratio)).long()
    h = torch.round(torch.sqrt(area * scale / ratio)).long()
    fits = (w > 0) & (w <= width) & (h > 0) & (h <= height)
    first_fit = fits.long().argmax(1, keepdim=True)
    any_fit = fits.any(1)
    w = torch.where(any_fit, w.gather(1, first_fit)[:, 0], width)
    h = torch.where(any_fit, h.gather(1, first_fit)[:, 0], height)
    top = torch.where(any_fit, (u[:, 2 * CROP_TRIES] * (height - h + 1)).floor().long(), (height - h) // 2)
    left = torch.where(any_fit, (u[:, 2 * CROP_TRIES + 1] * (width - w + 1)).floor().long(), (width - w) // 2)
    return torch.stack([top, left, h, w], 1)


def geometry_maps(u: torch.Tensor, height: int, width: int, geometry: Geometry) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image, the rotation (N, 2, 2) from output to pre-rotation coordinates and the crop map
    (N, 2, 3) from those to input coordinates (``affine_grid``'s normalised [-1, 1], pixel edges at
    +-1): an output point is turned back, flipped back, then placed in its crop box."""
    n = len(u)
    top, left, h, w = crop_boxes(u, height, width).double().unbind(1)
    flip = torch.where(u[:, 2 * CROP_TRIES + 2] < 0.5, -1.0, 1.0) if geometry.flip else torch.ones(n, dtype=torch.float64)
    angle = torch.deg2rad(geometry.degrees * (2 * u[:, 2 * CROP_TRIES + 3] - 1))
    cos, sin = torch.cos(angle), torch.sin(angle)
    # a counter-clockwise turn of the picture by `angle` (y points down), as torchvision's rotate turns
    rotation = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)
    crop = torch.zeros(n, 2, 3, dtype=torch.float64)
    crop[:, 0, 0] = flip * w / width
    crop[:, 1, 1] = h / height
    crop[:, 0, 2] = (2 * left + w) / width - 1
    crop[:, 1, 2] = (2 * top + h) / height - 1
    return rotation, crop


def apply_geometry(images: torch.Tensor, u: torch.Tensor, geometry: Geometry) -> torch.Tensor:
    """The uint8 batch seen through each image's crop, flip and rotation, in one bilinear sampling: the
    crop reads beyond the image's edge as its edge pixels (torchvision's resize clamps there), the turn
    fills the corners it brings in with 0 (torchvision's rotate fill)."""
    n, c, height, width = images.shape
    rotation, crop = geometry_maps(u, height, width, geometry)
    identity = torch.eye(2, 3, dtype=torch.float64).expand(n, 2, 3)
    points = F.affine_grid(identity, [n, c, height, width], align_corners=False)  # (N, H, W, 2)
    turned = points @ rotation.transpose(1, 2)[:, None]
    inside = (turned.abs() <= 1).all(-1)
    grid = turned @ crop[:, None, :, :2].transpose(-1, -2) + crop[:, None, None, :, 2]
    out = F.grid_sample(images.float(), grid.float(), mode="bilinear", padding_mode="border", align_corners=False)
    out = out.masked_fill_(~inside[:, None], 0.0)
    return out.round_().clamp_(0, 255).to(torch.uint8)


def apply_cutout(images: torch.Tensor, u: torch.Tensor, side: int) -> torch.Tensor:
    """Each image with one ``side`` x ``side`` square set to 0, its top-left corner uniform over the
    positions where it fits (torchvision's RandomErasing with a fixed square area and value 0)."""
    height, width = images.shape[-2:]
    top = (u[:, 0] * (height - side + 1)).floor().long()
    left = (u[:, 1] * (width - side + 1)).floor().long()
    rows = torch.arange(height)
    cols = torch.arange(width)
    inside_rows = (rows[None] >= top[:, None]) & (rows[None] < top[:, None] + side)
    inside_cols = (cols[None] >= left[:, None]) & (cols[None] < left[:, None] + side)
    hole = inside_rows[:, :, None] & inside_cols[:, None, :]
    return images.masked_fill(hole[:, None], 0)


class OperationPolicy:
    """AutoAugment (CIFAR-10 policy) or RandAugment over a batch by operation groups. The operation
    tables, magnitudes and the operations themselves are torchvision's (its transform object's
    ``_policies``, ``_AUGMENTATION_SPACE`` and ``_apply_image_or_video_transform``, pinned with
    torchvision); the per-image draws follow torchvision's order of draws: AutoAugment a sub-policy, then
    per step its coin and magnitude sign; RandAugment per step an operation and its sign."""

    def __init__(self, transform: Any, autoaugment: bool) -> None:
        self.transform = transform
        self.autoaugment = autoaugment
        self.space = list(transform._AUGMENTATION_SPACE.items())
        self.steps = 2 if autoaugment else transform.num_ops
        self.columns = 1 + 2 * self.steps if autoaugment else 2 * self.steps
        self._magnitudes: dict[tuple[str, int, int, int, int], float | None] = {}

    def magnitude(self, name: str, bins: int, level: int, height: int, width: int) -> float | None:
        """torchvision's magnitude of operation ``name`` at ``level`` of ``bins`` (None: it has none)."""
        key = (name, bins, level, height, width)
        if key not in self._magnitudes:
            values = self.transform._AUGMENTATION_SPACE[name][0](bins, height, width)
            self._magnitudes[key] = None if values is None else float(values[level])
        return self._magnitudes[key]

    def draws(self, u: torch.Tensor, height: int, width: int) -> list[list[tuple[str, float] | None]]:
        """Per step, per image: the (operation, signed magnitude) it applies, or None (a coin said no)."""
        t = self.transform
        rows = u.tolist()
        steps: list[list[tuple[str, float] | None]] = []
        for k in range(self.steps):
            chosen: list[tuple[str, float] | None] = []
            for row in rows:
                if self.autoaugment:
                    name, probability, level = t._policies[int(row[0] * len(t._policies))][k]
                    if not row[1 + 2 * k] <= probability:
                        chosen.append(None)
                        continue
                    bins, sign = 10, row[2 + 2 * k]
                else:
                    name = self.space[int(row[2 * k] * len(self.space))][0]
                    bins, level, sign = t.num_magnitude_bins, t.magnitude, row[2 * k + 1]
                magnitude = self.magnitude(name, bins, level, height, width)
                signed = t._AUGMENTATION_SPACE[name][1]
                if magnitude is None:
                    magnitude = 0.0
                elif signed and sign <= 0.5:
                    magnitude = -magnitude
                chosen.append((name, magnitude))
            steps.append(chosen)
        return steps

    def __call__(self, images: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        t = self.transform
        out = images.clone()
        for chosen in self.draws(u, images.shape[-2], images.shape[-1]):
            groups: dict[tuple[str, float], list[int]] = {}
            for i, op in enumerate(chosen):
                if op is not None and op[0] != "Identity":
                    groups.setdefault(op, []).append(i)
            for (name, magnitude), members in groups.items():
                index = torch.tensor(members)
                out[index] = t._apply_image_or_video_transform(out[index], name, magnitude, interpolation=t.interpolation, fill=t._fill)
        return out


def _operations(name: str) -> OperationPolicy | None:
    """The policy's AutoAugment or RandAugment stage (None for crop-flip-rotation-only policies, which never
    import torchvision)."""
    kind, *values = name.split("-")
    if name == "strong":
        v2 = _v2()
        return OperationPolicy(v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10), autoaugment=True)
    if kind == "randaugment":
        n, m = map(int, values)
        return OperationPolicy(_v2().RandAugment(num_ops=n, magnitude=m), autoaugment=False)
    if kind == "ladder" and int(values[0]) > 0:
        return OperationPolicy(_v2().RandAugment(num_ops=2, magnitude=3 * int(values[0])), autoaugment=False)
    return None


class Augmentation:
    """A seeded policy: ``aug(batch, seed)`` returns a new uint8 batch of the same shape."""

    def __init__(self, name: str, size: int) -> None:
        problem = policy_problem(name)
        if problem:
            raise AugmentationError(problem)
        self.name = name
        self.size = size
        self.geometry = None if name == "none" else Geometry(flip=name != "base", degrees=WEAK_DEGREES if name in ("weak", "strong") else 0.0)
        self.operations = None if name == "none" else _operations(name)
        self.cutout = cutout_side(size) if name == "strong" else None

    @property
    def is_identity(self) -> bool:
        return self.geometry is None

    def __call__(self, images: torch.Tensor, seed: int, first: int = 0) -> torch.Tensor:
        """``images`` as images ``first, first + 1, ...`` of a sequence augmented with ``seed``: a split
        augmented batch by batch with ``first`` = the batch's offset looks the same for any batch size."""
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise TypeError(f"expected a uint8 batch (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        if self.geometry is None:
            return images.clone()
        n = len(images)
        out = apply_geometry(images, _uniforms(seed, _GEOMETRY, first, n, GEOMETRY_COLUMNS), self.geometry)
        if self.operations is not None:
            out = self.operations(out, _uniforms(seed, _OPS, first, n, self.operations.columns))
        if self.cutout is not None:
            out = apply_cutout(out, _uniforms(seed, _CUTOUT, first, n, CUTOUT_COLUMNS), self.cutout)
        return out
