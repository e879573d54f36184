"""A procedural image family of WordNet plane figures, rendered in batches with torch.

Each class is a WordNet noun for a plane figure (``triangle.n.01``, ``ellipse.n.01``, ...). Its shape
is a signed distance field (SDF) on a canonical grid; an image is that field sampled through a
per-image affine map (``affine_grid`` + ``grid_sample``, one call per class), turned into
anti-aliased coverage, and composited over a background. Factors of variation can be switched on or
off independently:

``position``, ``scale``, ``rotation``
    the affine map;
``colour``
    foreground and background colours;
``texture``
    sinusoidal gratings over background and foreground; ``texture_contrast`` adds the background
    grating once more, in every channel, with that amplitude (0: no extra, 1: the full grey range),
    so that every background carries high-contrast detail whatever its colour;
``noise``
    additive Gaussian pixel noise, of standard deviation 0.02-0.08 (per image) times ``noise_strength``.

Every per-image parameter is drawn whether its factor is on or not, so switching one factor leaves
the draws of the others unchanged. ``sibling_similarity`` (lambda) blends each class's field towards
the mean field of the configured classes that share its WordNet super-class: 0 keeps the classes
apart, 1 makes the siblings identical.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

FACTORS: tuple[str, ...] = ("position", "scale", "rotation", "colour", "texture", "noise")
CANONICAL_GRID = 128  # resolution of the canonical signed distance fields
CHUNK = 2048  # images rendered per batch (fixed: the random stream depends on it)

SdfFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _polygon_sdf(vertices: Sequence[tuple[float, float]]) -> SdfFn:
    """Convex polygon (counter-clockwise vertices): max over edges of the signed edge distance."""
    v = np.asarray(vertices, dtype=np.float64)
    edges = np.roll(v, -1, axis=0) - v
    normals = np.stack([edges[:, 1], -edges[:, 0]], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    offsets = (normals * v).sum(axis=1)

    def sdf(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        d = x[..., None] * normals[:, 0] + y[..., None] * normals[:, 1] - offsets
        return d.max(axis=-1)

    return sdf


def _regular_polygon(n: int, radius: float = 0.78) -> SdfFn:
    start = -math.pi / 2 - math.pi / n  # flat edge at the bottom
    angles = start + 2 * math.pi * np.arange(n) / n
    return _polygon_sdf([(radius * math.cos(a), radius * math.sin(a)) for a in angles])


def _circle(cx: float, cy: float, r: float) -> SdfFn:
    return lambda x, y: np.hypot(x - cx, y - cy) - r


def _ellipse(a: float, b: float) -> SdfFn:
    return lambda x, y: (np.hypot(x / a, y / b) - 1.0) * min(a, b)


def _union(*parts: SdfFn) -> SdfFn:
    return lambda x, y: np.minimum.reduce([p(x, y) for p in parts])


def _intersection(*parts: SdfFn) -> SdfFn:
    return lambda x, y: np.maximum.reduce([p(x, y) for p in parts])


def _star(points: int = 5, outer: float = 0.85, inner: float = 0.38) -> SdfFn:
    """Star polygon as a radial field: distance to the boundary along the ray, scaled to be Lipschitz."""
    sector = 2 * math.pi / points

    def sdf(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        r = np.hypot(x, y)
        phi = np.mod(np.arctan2(y, x) - math.pi / 2, sector)
        t = np.abs(phi / (sector / 2) - 1.0)  # 1 at a tip, 0 between tips
        boundary = inner + (outer - inner) * t
        return (r - boundary) * 0.55

    return sdf


def _half_plane(nx: float, ny: float, offset: float) -> SdfFn:
    norm = math.hypot(nx, ny)
    return lambda x, y: (x * nx + y * ny) / norm - offset


def _sector(angle_deg: float = 100.0, radius: float = 1.05, apex_y: float = -0.6) -> SdfFn:
    half = math.radians(angle_deg) / 2
    # apex at (0, apex_y), opening upwards; each straight side is a half-plane through the apex
    offset = -math.sin(half) * apex_y  # both outward normals dotted with the apex
    left = _half_plane(-math.cos(half), -math.sin(half), offset)
    right = _half_plane(math.cos(half), -math.sin(half), offset)
    return _intersection(_circle(0.0, apex_y, radius), left, right)


#: WordNet synset name -> canonical signed distance field (negative inside, canonical units).
SHAPES: dict[str, SdfFn] = {
    "triangle.n.01": _regular_polygon(3, 0.9),
    "square.n.01": _regular_polygon(4, 0.85),
    "pentagon.n.03": _regular_polygon(5),
    "hexagon.n.01": _regular_polygon(6),
    "heptagon.n.01": _regular_polygon(7),
    "octagon.n.01": _regular_polygon(8),
    "rectangle.n.01": _polygon_sdf([(-0.8, -0.45), (0.8, -0.45), (0.8, 0.45), (-0.8, 0.45)]),
    "rhombus.n.01": _polygon_sdf([(0.0, -0.85), (0.55, 0.0), (0.0, 0.85), (-0.55, 0.0)]),
    "trapezoid.n.01": _polygon_sdf([(-0.85, -0.5), (0.85, -0.5), (0.4, 0.5), (-0.4, 0.5)]),
    "parallelogram.n.01": _polygon_sdf([(-0.85, -0.45), (0.4, -0.45), (0.85, 0.45), (-0.4, 0.45)]),
    "circle.n.01": _circle(0.0, 0.0, 0.75),
    "ellipse.n.01": _ellipse(0.85, 0.45),
    "star.n.05": _star(),
    "heart.n.07": _union(
        _circle(-0.33, 0.22, 0.38),
        _circle(0.33, 0.22, 0.38),
        _polygon_sdf([(0.0, -0.8), (0.66, 0.08), (-0.66, 0.08)]),
    ),
    "semicircle.n.01": _intersection(_circle(0.0, -0.4, 0.85), _half_plane(0.0, -1.0, 0.4)),
    "sector.n.01": _sector(),
}


def canonical_fields(
    classes: Sequence[str],
    superclasses: Sequence[str],
    sibling_similarity: float | Mapping[str, float] = 0.0,
    grid: int = CANONICAL_GRID,
) -> torch.Tensor:
    """Signed distance fields of ``classes`` on a ``grid`` x ``grid`` canonical canvas, shape (C, G, G).

    Each field is blended towards the mean field of its siblings (same entry in ``superclasses``)
    with weight ``sibling_similarity`` (one number, or one per super-class name).
    """
    unknown = [c for c in classes if c not in SHAPES]
    if unknown:
        raise KeyError(f"no synthetic shape for {unknown}; known: {sorted(SHAPES)}")
    coords = (np.arange(grid) + 0.5) / grid * 2 - 1  # pixel centres, align_corners=False
    y, x = np.meshgrid(-coords, coords, indexing="ij")  # image row 0 is the top: y points up
    fields = np.stack([SHAPES[c](x, y) for c in classes]).astype(np.float64)
    blended = fields.copy()
    groups: dict[str, list[int]] = {}
    for i, sc in enumerate(superclasses):
        groups.setdefault(sc, []).append(i)
    for sc, members in groups.items():
        lam = sibling_similarity.get(sc, 0.0) if isinstance(sibling_similarity, Mapping) else sibling_similarity
        if len(members) < 2 or lam == 0:
            continue
        mean = fields[members].mean(axis=0)
        blended[members] = (1 - lam) * fields[members] + lam * mean
    return torch.from_numpy(blended).float()


def _uniform(gen: torch.Generator, n: int, low: float, high: float, *shape: int) -> torch.Tensor:
    return torch.rand((n, *shape), generator=gen) * (high - low) + low


def _hsv_to_rgb(h: torch.Tensor, s: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Vectorised HSV -> RGB for tensors of shape (N,), values in [0, 1]; returns (N, 3)."""
    k = (torch.tensor([5.0, 3.0, 1.0]) + h[:, None] * 6) % 6
    return v[:, None] - v[:, None] * s[:, None] * torch.clamp(torch.minimum(k, 4 - k), 0, 1)


def _grating(gen: torch.Generator, n: int, xx: torch.Tensor, yy: torch.Tensor) -> torch.Tensor:
    """Random sinusoidal gratings in [0, 1], shape (N, H, W)."""
    freq = _uniform(gen, n, 1.0, 4.0)
    angle = _uniform(gen, n, 0.0, math.pi)
    phase = _uniform(gen, n, 0.0, 2 * math.pi)
    proj = xx * torch.cos(angle)[:, None, None] + yy * torch.sin(angle)[:, None, None]
    return 0.5 + 0.5 * torch.sin(math.pi * freq[:, None, None] * proj + phase[:, None, None])


def render(
    labels: np.ndarray,
    fields: torch.Tensor,
    factors: Sequence[str],
    image_size: int,
    seed: int,
    show_progress: bool = False,
    texture_contrast: float = 0.0,
    noise_strength: float = 1.0,
) -> np.ndarray:
    """Render one image per label; returns uint8 RGB images of shape (N, S, S, 3).

    ``fields`` are the canonical fields from :func:`canonical_fields`; ``labels`` index into them.
    The output is a deterministic function of (labels, fields, factors, image_size, seed).
    """
    if noise_strength < 0:
        raise ValueError(f"noise_strength must be >= 0, got {noise_strength}")
    if not 0.0 <= texture_contrast <= 1.0:
        raise ValueError(f"texture_contrast must be in [0, 1], got {texture_contrast}")
    bad = sorted(set(factors) - set(FACTORS))
    if bad:
        raise ValueError(f"unknown factors {bad}; known: {list(FACTORS)}")
    on = {f: f in factors for f in FACTORS}
    labels = np.asarray(labels, dtype=np.int64)
    out = np.empty((len(labels), image_size, image_size, 3), dtype=np.uint8)
    gen = torch.Generator().manual_seed(int(seed))
    coords = (torch.arange(image_size) + 0.5) / image_size * 2 - 1
    yy, xx = torch.meshgrid(-coords, coords, indexing="ij")
    starts = range(0, len(labels), CHUNK)
    if show_progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="render", unit="chunk")
    for start in starts:
        lab = torch.from_numpy(labels[start : start + CHUNK])
        n = len(lab)
        # every parameter is drawn, on or off, so factors do not shift each other's random stream
        shift = _uniform(gen, n, -0.3, 0.3, 2)
        scale = _uniform(gen, n, 0.55, 1.0)
        theta = _uniform(gen, n, 0.0, 2 * math.pi)
        fg_hsv = torch.rand((n, 3), generator=gen)
        bg_hsv = torch.rand((n, 3), generator=gen)
        bg_tex = _grating(gen, n, xx, yy)
        fg_tex = _grating(gen, n, xx, yy)
        noise_sigma = _uniform(gen, n, 0.02, 0.08)
        noise = torch.randn((n, image_size, image_size, 3), generator=gen)

        shift = shift if on["position"] else torch.zeros_like(shift)
        scale = scale if on["scale"] else torch.full_like(scale, 0.8)
        theta = theta if on["rotation"] else torch.zeros_like(theta)
        # output pixel p (y up) shows canonical point R(-theta) (p - shift) / scale
        cos, sin = torch.cos(theta) / scale, torch.sin(theta) / scale
        rot = torch.stack([torch.stack([cos, sin], 1), torch.stack([-sin, cos], 1)], 1)  # (n, 2, 2)
        p = torch.stack([xx, yy], -1).reshape(1, -1, 2) - shift[:, None, :]
        canon = torch.einsum("nij,npj->npi", rot, p)  # (n, HW, 2), y up
        grid = torch.stack([canon[..., 0], -canon[..., 1]], -1).reshape(n, image_size, image_size, 2)
        sdf = torch.empty((n, image_size, image_size))
        for c in torch.unique(lab).tolist():
            idx = (lab == c).nonzero().squeeze(1)
            g = grid[idx].reshape(1, -1, image_size, 2)
            field = fields[c][None, None]
            sdf[idx] = F.grid_sample(field, g, mode="bilinear", padding_mode="border", align_corners=False).reshape(
                -1, image_size, image_size
            )
        pixels_per_unit = scale[:, None, None] * image_size / 2
        alpha = torch.clamp(0.5 - sdf * pixels_per_unit, 0.0, 1.0)[..., None]

        if on["colour"]:
            fg = _hsv_to_rgb(fg_hsv[:, 0], 0.4 + 0.6 * fg_hsv[:, 1], 0.55 + 0.45 * fg_hsv[:, 2])
            bg = _hsv_to_rgb(bg_hsv[:, 0], 0.6 * bg_hsv[:, 1], 0.05 + 0.45 * bg_hsv[:, 2])
        else:
            fg = torch.full((n, 3), 0.9)
            bg = torch.full((n, 3), 0.12)
        bg_img = bg[:, None, None, :].expand(n, image_size, image_size, 3)
        fg_img = fg[:, None, None, :].expand(n, image_size, image_size, 3)
        if on["texture"]:
            bg_img = bg_img * (0.55 + 0.9 * bg_tex[..., None]) + texture_contrast * (bg_tex[..., None] - 0.5)
            fg_img = fg_img * (1.0 - 0.35 * fg_tex[..., None])
        img = bg_img * (1 - alpha) + fg_img * alpha
        if on["noise"]:
            img = img + noise * (noise_strength * noise_sigma)[:, None, None, None]
        out[start : start + n] = torch.clamp(img * 255 + 0.5, 0, 255).to(torch.uint8).numpy()
    return out


def balanced_labels(num_classes: int, per_class: int) -> np.ndarray:
    """Labels 0..C-1, ``per_class`` of each, grouped by class."""
    return np.repeat(np.arange(num_classes, dtype=np.int64), per_class)
