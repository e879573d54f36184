"""SSIM-supSubCls: how alike the sub-classes inside a super-class look (Guo et al., arXiv 2303.04854).

Classes (sub-classes) are grouped into super-classes X_k. SSIM_set(X_k) is the mean SSIM over image pairs
drawn inside X_k, and SSIM-supSubCls is the largest SSIM_set over the super-classes; each super-class is
reported with its mean, the standard error of that mean (std with ddof=1 / sqrt(n_pairs)) and its number
of pairs. The authors' latest script makes the images greyscale, crops the centre square, resizes to
32x32, and pairs consecutive items of a shuffled list of the super-class's images (0 with 1, 2 with 3,
...) under scikit-image's SSIM defaults with data range 255; :func:`prepare`, :func:`draw_pairs` and
:func:`ssim_supsubcls` do each step, and the pairs can also be all pairs or random ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from kdgen.metrics.ssim import ssim_pairs

PairMode = Literal["consecutive", "all", "random"]


@dataclass(frozen=True)
class SuperclassSSIM:
    """SSIM_set of one super-class: its mean SSIM over ``n_pairs`` pairs and the mean's standard error."""

    name: str
    n_subclasses: int
    n_images: int
    n_pairs: int
    mean: float
    sem: float


@dataclass(frozen=True)
class SupSubCls:
    """SSIM-supSubCls: every super-class's SSIM_set (``rows``) and the largest (``value``, of ``superclass``)."""

    rows: tuple[SuperclassSSIM, ...]
    value: float
    superclass: str

    def as_rows(self) -> list[dict[str, Any]]:
        """One dict per super-class, then a ``superclass == "max"`` row that copies the largest one's
        numbers and names it under ``max_of`` (empty in the other rows): a table to write as CSV."""
        rows = [{"superclass": r.name, **asdict(r), "max_of": ""} for r in self.rows]
        for row in rows:
            del row["name"]
        best = next(r for r in rows if r["superclass"] == self.superclass)
        return rows + [{**best, "superclass": "max", "max_of": self.superclass}]


def _luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma of uint8 RGB (..., 3) as PIL's ``convert("L")`` computes it: the weights 0.299,
    0.587, 0.114 in 16-bit fixed point (19595, 38470, 7471), rounded (+ 0x8000) and shifted by 16 bits."""
    c = rgb.astype(np.uint32)
    return ((c[..., 0] * 19595 + c[..., 1] * 38470 + c[..., 2] * 7471 + 0x8000) >> 16).astype(np.uint8)


def prepare(
    images: np.ndarray,
    resolution: int | None = 32,
    colour: Literal["grey", "rgb"] = "grey",
    crop: Literal["centre", "none"] = "centre",
) -> np.ndarray:
    """Images ready for SSIM, as the authors' script makes them: colour first, then crop, then resize.

    ``images`` is uint8 (N, H, W, C) with C = 3 (RGB) or 1, or (N, H, W) greyscale. ``colour="grey"``
    takes PIL's ``convert("L")`` luma (see :func:`_luma`; bit-exact); ``"rgb"`` needs C = 3. ``crop="centre"``
    keeps the centre square of side min(H, W), its corner at ((H - side) // 2, (W - side) // 2); ``"none"``
    keeps the whole image (then a resize to a square changes its aspect). ``resolution`` resizes to
    resolution x resolution with PIL's ``Image.resize(..., BILINEAR)``, which in Pillow widens the
    triangle filter by the downscale factor (so it antialiases); ``None`` keeps the size. Returns uint8
    (N, R, R) for grey or (N, R, R, 3) for rgb.
    """
    from PIL import Image

    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim not in (3, 4) or (images.ndim == 4 and images.shape[-1] not in (1, 3)):
        raise ValueError(
            f"images must be uint8 (N, H, W), (N, H, W, 1) or (N, H, W, 3), got {images.dtype} {images.shape}"
        )
    if colour not in ("grey", "rgb"):
        raise ValueError(f"colour must be 'grey' or 'rgb', not {colour!r}")
    if crop not in ("centre", "none"):
        raise ValueError(f"crop must be 'centre' or 'none', not {crop!r}")
    if resolution is not None and resolution < 1:
        raise ValueError(f"resolution must be a positive int or None, got {resolution}")
    channels = 1 if images.ndim == 3 else images.shape[-1]
    if colour == "rgb" and channels != 3:
        raise ValueError(f"colour='rgb' needs RGB images (N, H, W, 3), got shape {images.shape}")
    if colour == "grey":
        out = _luma(images) if channels == 3 else images.reshape(images.shape[:3])
    else:
        out = images
    h, w = out.shape[1:3]
    if crop == "centre":
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        out = out[:, top : top + side, left : left + side]
    if resolution is not None and out.shape[1:3] != (resolution, resolution):
        size = (resolution, resolution)
        out = np.stack([np.asarray(Image.fromarray(im).resize(size, Image.Resampling.BILINEAR)) for im in out])
    return np.ascontiguousarray(out)


def _pair_space(labels: np.ndarray, cross_subclass: bool) -> tuple[int, Any]:
    """The unordered pairs {i, j} (i != j) of the items, or only those of different labels: their count and
    a vectorised decoder from indices in [0, count) to (P, 2) item pairs. Nothing of size count is built,
    so a sample stays small however many pairs there are."""
    n = len(labels)
    if not cross_subclass:
        starts = np.concatenate([[0], np.cumsum(np.arange(n - 1, 0, -1, dtype=np.int64))])  # first index of row i

        def decode_all(k: np.ndarray) -> np.ndarray:
            i = np.searchsorted(starts, k, side="right") - 1
            return np.stack([i, i + 1 + (k - starts[i])], axis=1)

        return int(starts[-1]), decode_all
    order = np.argsort(labels, kind="stable")
    _, counts = np.unique(labels[order], return_counts=True)
    block_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    after = n - (block_start + counts)  # items in later label blocks: the partners of each block's items
    first = np.concatenate([[0], np.cumsum(counts * after)])  # first index of each block's pairs

    def decode_cross(k: np.ndarray) -> np.ndarray:
        blk = np.searchsorted(first, k, side="right") - 1
        offset = k - first[blk]
        u = block_start[blk] + offset // after[blk]
        v = block_start[blk] + counts[blk] + offset % after[blk]
        return np.sort(np.stack([order[u], order[v]], axis=1), axis=1)

    return int(first[-1]), decode_cross


def draw_pairs(
    labels: np.ndarray, mode: PairMode, seed: int, n_pairs: int | None = None, cross_subclass: bool = False
) -> np.ndarray:
    """Pairs of positions in ``labels`` (the sub-class labels of ONE super-class's images), int64 (P, 2).

    - ``consecutive``: a shuffle of the items (``np.random.default_rng(seed)``), then its consecutive
      items paired without overlap (0 with 1, 2 with 3, ...; an odd last item is dropped): floor(n/2) pairs.
    - ``all``: every unordered pair once, i < j: n (n - 1) / 2 pairs.
    - ``random``: ``n_pairs`` pairs drawn uniformly with replacement from the unordered pairs (i != j).

    ``cross_subclass`` keeps only pairs whose two items have different labels (``consecutive`` and
    ``all`` filter theirs; ``random`` draws only such pairs, exactly ``n_pairs``). For ``consecutive`` and
    ``all``, ``n_pairs`` caps the count: the first n_pairs of a seeded shuffle of the pair list (for
    ``all``, drawn as a uniform sample without replacement, without listing every pair).
    """
    labels = np.asarray(labels)
    n = len(labels)
    if mode not in ("consecutive", "all", "random"):
        raise ValueError(f"mode must be 'consecutive', 'all' or 'random', not {mode!r}")
    if labels.ndim != 1 or n < 2:
        raise ValueError(f"labels must be 1-D with at least two items to pair, got shape {labels.shape}")
    if n_pairs is not None and n_pairs < 1:
        raise ValueError(f"n_pairs must be positive or None, got {n_pairs}")
    if mode == "random" and n_pairs is None:
        raise ValueError("mode='random' needs n_pairs")
    if cross_subclass and len(np.unique(labels)) < 2:
        raise ValueError("cross_subclass=True needs items of at least two sub-classes")
    rng = np.random.default_rng(seed)
    if mode == "consecutive":
        order = rng.permutation(n)
        pairs = order[: 2 * (n // 2)].reshape(-1, 2)
        if cross_subclass:
            pairs = pairs[labels[pairs[:, 0]] != labels[pairs[:, 1]]]
        if n_pairs is not None and n_pairs < len(pairs):
            pairs = pairs[rng.permutation(len(pairs))[:n_pairs]]
        return pairs.astype(np.int64)
    count, decode = _pair_space(labels, cross_subclass)
    if mode == "random":
        return decode(rng.integers(0, count, size=n_pairs)).astype(np.int64)
    if n_pairs is None or n_pairs >= count:
        return decode(np.arange(count, dtype=np.int64)).astype(np.int64)
    return decode(rng.choice(count, size=n_pairs, replace=False)).astype(np.int64)


def superclass_seed(seed: int, name: str) -> int:
    """A seed for one super-class, fixed by ``seed`` and its name (SHA-256, so the same in every process,
    unlike Python's salted ``hash``)."""
    return int.from_bytes(hashlib.sha256(f"{seed}\0{name}".encode()).digest()[:8], "little")


def ssim_supsubcls(
    images: np.ndarray,
    labels: np.ndarray,
    superclass_of: Sequence[str | None],
    *,
    mode: PairMode = "consecutive",
    seed: int = 0,
    n_pairs: int | None = None,
    cross_subclass: bool = False,
    win_size: int = 7,
    data_range: float = 255.0,
    chunk: int = 8192,
    **ssim_kwargs: Any,
) -> SupSubCls:
    """SSIM-supSubCls of ``images`` (prepared, e.g. by :func:`prepare`) with class ``labels`` (N,), where
    ``superclass_of[c]`` names the super-class of class c.

    Each super-class draws its pairs with :func:`draw_pairs` (``mode``, ``n_pairs``, ``cross_subclass``)
    under its own seed, :func:`superclass_seed` of ``seed`` and its name, so adding a super-class leaves
    the others' pairs alone. SSIM is scikit-image's (``win_size``, ``data_range``, ``ssim_kwargs``; see
    :func:`kdgen.metrics.ssim.ssim`), all pairs at once in chunks of ``chunk``. Rows keep the order in
    which super-classes first appear in ``superclass_of``; a tie for the max goes to the first. One pair
    gives a NaN sem. Raises ValueError, naming the culprits, for: no super-classes at all, a class without
    one, a super-class with fewer than two sub-classes, or one with too few images for a pair.
    """
    labels = np.asarray(labels)
    k = len(superclass_of)
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"labels must be 1-D with one label per image: {labels.shape} labels for {len(images)} images")
    if len(labels) and (not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"labels must be class indices in [0, {k}) (superclass_of has {k} entries)")
    if all(s is None for s in superclass_of):
        raise ValueError(f"no super-classes: superclass_of maps all {k} classes to None; SSIM-supSubCls needs them")
    orphans = [c for c, s in enumerate(superclass_of) if s is None]
    if orphans:
        shown = ", ".join(map(str, orphans[:20])) + (f", ... ({len(orphans)} in all)" if len(orphans) > 20 else "")
        raise ValueError(f"classes without a super-class (superclass_of[c] is None): {shown}; every class needs one")
    members: dict[str, list[int]] = {}
    for c, s in enumerate(superclass_of):
        members.setdefault(str(s), []).append(c)
    lonely = [f"{name} (only class {m[0]})" for name, m in members.items() if len(m) < 2]
    if lonely:
        raise ValueError(
            f"super-classes with fewer than two sub-classes: {', '.join(lonely)}; SSIM-supSubCls compares "
            "sub-classes inside a super-class"
        )
    index = {name: np.flatnonzero(np.isin(labels, m)) for name, m in members.items()}
    need = "images of two sub-classes" if cross_subclass else "two images"
    few = [
        f"{name} ({len(idx)} images of {len(np.unique(labels[idx]))} sub-classes)"
        for name, idx in index.items()
        if len(idx) < 2 or (cross_subclass and len(np.unique(labels[idx])) < 2)
    ]
    if few:
        raise ValueError(f"super-classes with too few images for one pair (need {need}): {', '.join(few)}")
    pairs = {
        name: idx[draw_pairs(labels[idx], mode, superclass_seed(seed, name), n_pairs, cross_subclass)]
        for name, idx in index.items()
    }
    empty = [name for name, p in pairs.items() if len(p) == 0]
    if empty:
        raise ValueError(f"super-classes left without a pair (mode={mode!r}, cross_subclass={cross_subclass}): {empty}")
    values = ssim_pairs(
        images,
        np.concatenate(list(pairs.values())),
        chunk=chunk,
        win_size=win_size,
        data_range=data_range,
        **ssim_kwargs,
    )
    rows, start = [], 0
    for name, p in pairs.items():
        v = values[start : start + len(p)]
        start += len(p)
        sem = float(v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")
        rows.append(SuperclassSSIM(name, len(members[name]), len(index[name]), len(v), float(v.mean()), sem))
    best = max(rows, key=lambda r: r.mean)  # max keeps the first of equal means
    return SupSubCls(tuple(rows), best.mean, best.name)
