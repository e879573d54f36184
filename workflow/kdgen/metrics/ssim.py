"""Structural similarity (SSIM) for many image pairs at once, exact and fast.

SSIM here is ``skimage.metrics.structural_similarity`` with its defaults: a uniform ``win_size`` x
``win_size`` window, constants K1 = 0.01 and K2 = 0.03, sample covariance, the mean taken over the windows
that lie wholly inside the image (scikit-image filters the padded image and then crops half a window
from each border, which leaves exactly these), channels averaged.

How it is fast without losing exactness. With N = win_size**2 pixels in a window and S_* the window sums
of a, b, a*a + b*b and a*b, multiplying SSIM's luminance fraction through by N**2 and its
contrast-structure fraction by D = N (N - 1) (N**2 for population covariance) gives

    SSIM = (2 S_a S_b + C1 N**2) (2 V_ab + C2 D) / ((S_a**2 + S_b**2 + C1 N**2) (V_aa + V_bb + C2 D))

with V_ab = N S_ab - S_a S_b and V_aa + V_bb = N S_{aa+bb} - S_a**2 - S_b**2. The window sums are two matrix products per map with 0/1 band matrices (a
separable box filter run by BLAS). For integer-valued images every product and partial sum is an integer,
and float32 holds integers below 2**24 exactly, so when 2 N max|x|**2 < 2**24 (uint8 up to an 11x11
window) the float32 sums are exact; the moments V and the ratio are then formed in float64 from exact
integers, so the fast result equals the float64 one to rounding (~1e-15), with no E[x**2] - E[x]**2
cancellation error. Work runs in blocks of about 2**17 pixels so each block stays in cache.

:func:`ssim` takes two aligned stacks of images; :func:`ssim_pairs` takes one stack and index pairs and
streams any number of pairs through in chunks.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch

Precision = Literal["auto", "float32", "float64"]
Tiles = list[tuple[slice, slice, torch.Tensor]]  # (output rows, input columns, dense 0/1 block) of a band matrix
_BLOCK_PIXELS = 1 << 17  # pixels of one map in a block: its maps and sums (a few MB) stay in cache
_FLOAT32_EXACT = 1 << 24  # float32 holds every integer of magnitude below this exactly


def _band_tiles(n_in: int, win: int, dtype: torch.dtype, device: torch.device) -> Tiles:
    """The valid box filter of width ``win`` along an axis of ``n_in`` as a 0/1 band matrix (row i sums
    inputs i .. i + win - 1), cut into row tiles of about 2 (win - 1) outputs. Each tile multiplies only the
    inputs its windows cover (at 32x32 with a 7x7 window, 40% fewer multiply-adds than the whole band)."""
    n_out = n_in - win + 1
    rows = torch.arange(n_out, device=device)[:, None]
    cols = torch.arange(n_in, device=device)[None, :]
    band = ((cols >= rows) & (cols < rows + win)).to(dtype)
    k = max(1, round(n_out / (2 * max(win - 1, 1))))
    edges = np.linspace(0, n_out, k + 1).round().astype(int)
    return [
        (slice(lo, hi), slice(lo, hi + win - 1), band[lo:hi, lo : hi + win - 1].contiguous())
        for lo, hi in zip(edges[:-1], edges[1:])
    ]


def _box_sums_t(x: torch.Tensor, tiles: Tiles, n_out: int) -> torch.Tensor:
    """Window sums along the last axis of the 2D ``x`` (M, n_in), transposed: (n_out, M) = band @ x.T."""
    out = torch.empty((n_out, x.shape[0]), dtype=x.dtype, device=x.device)
    for rows, cols, block in tiles:
        torch.mm(block, x[:, cols].T, out=out[rows])
    return out


def _max_abs_if_integer(x: torch.Tensor) -> float | None:
    """max |x| when every value of x is an integer (integer or bool dtype, or integral finite floats), else None."""
    if x.is_complex():
        return None
    if x.numel() == 0:
        return 0.0
    if x.dtype == torch.bool:
        return 1.0
    if x.dtype in (torch.uint8, torch.int8):
        return float(max(-torch.iinfo(x.dtype).min, torch.iinfo(x.dtype).max))
    if x.is_floating_point() and not torch.equal(x, torch.round(x)):  # NaN fails the equality
        return None
    lo, hi = torch.aminmax(x)
    return max(-float(lo), float(hi))


def _float32_is_exact(x: torch.Tensor, y: torch.Tensor, win_size: int) -> bool:
    """Whether float32 window sums of x, y, x*x + y*y and x*y are exact: CPU tensors, integer values with
    2 win**2 max|x|**2 below 2**24, and float32 matrix products at full precision (no bfloat16 inside)."""
    if x.device.type != "cpu" or torch.get_float32_matmul_precision() != "highest":
        return False
    bounds = [_max_abs_if_integer(x), _max_abs_if_integer(y)]
    if any(b is None for b in bounds):
        return False
    peak = max(bounds)
    return 2 * win_size**2 * peak**2 < _FLOAT32_EXACT


def _ssim_planes(
    a: torch.Tensor,
    b: torch.Tensor,
    tiles_h: Tiles,
    tiles_w: Tiles,
    win_size: int,
    c1: float,
    c2: float,
    sample_covariance: bool,
) -> torch.Tensor:
    """Mean SSIM of each plane pair (a[i], b[i]) of shape (n, H, W): window sums in the tiles' dtype, moments
    and the ratio in float64 (the formula in the module docstring). Returns float64 (n,)."""
    n, h, w = a.shape
    maps = torch.empty((4, n, h, w), dtype=tiles_w[0][2].dtype, device=a.device)
    maps[0].copy_(a)
    maps[1].copy_(b)
    torch.mul(maps[0], maps[0], out=maps[2])
    maps[2].addcmul_(maps[1], maps[1])
    torch.mul(maps[0], maps[1], out=maps[3])
    n_w, n_h = w - win_size + 1, h - win_size + 1
    rows = _box_sums_t(maps.view(-1, w), tiles_w, n_w)  # [j, (map, plane, y)]: sums along x, y in the rows
    sums = _box_sums_t(rows.view(-1, h), tiles_h, n_h).view(n_h, n_w, 4, n)  # [i, j, map, plane]
    s_a, s_b, s_sq, s_ab = sums.to(torch.float64).unbind(2)
    big_n = float(win_size**2)
    d = big_n * (big_n - 1) if sample_covariance else big_n * big_n
    p = s_a * s_b
    q = s_a * s_a
    q.addcmul_(s_b, s_b)
    v_ab = s_ab.mul_(big_n).sub_(p)  # N S_ab - S_a S_b, exact for integer sums
    v_sum = s_sq.mul_(big_n).sub_(q)  # N S_(aa+bb) - S_a^2 - S_b^2
    num = p.mul_(2).add_(c1 * big_n * big_n).mul_(v_ab.mul_(2).add_(c2 * d))
    den = q.add_(c1 * big_n * big_n).mul_(v_sum.add_(c2 * d))
    return num.div_(den).mean(dim=(0, 1))


def ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 255.0,
    win_size: int = 7,
    k1: float = 0.01,
    k2: float = 0.03,
    sample_covariance: bool = True,
    precision: Precision = "auto",
) -> torch.Tensor:
    """Mean SSIM of each pair (x[i], y[i]); images (N, H, W) or (N, H, W, C), any real dtype.

    Matches ``skimage.metrics.structural_similarity`` with its defaults (see the module docstring) to
    float64 rounding (~1e-13 on photographs, where scikit-image's own moments round). ``precision`` picks
    the arithmetic of the window sums; moments and ratio are always float64:

    - ``"auto"``: float32 sums when they are exact (integer-valued CPU images, 2 win**2 max|x|**2 < 2**24,
      e.g. uint8 with win_size <= 11), else float64. Exact either way; the default.
    - ``"float32"``: the same, but raise ValueError when the float32 sums would not be exact.
    - ``"float64"``: float64 sums for any input (the reference path, about 1.5x slower).

    Returns a float64 tensor of shape (N,).
    """
    if x.shape != y.shape:
        raise ValueError(f"shape mismatch: {tuple(x.shape)} vs {tuple(y.shape)}")
    if precision not in ("auto", "float32", "float64"):
        raise ValueError(f"precision must be 'auto', 'float32' or 'float64', not {precision!r}")
    if x.ndim == 3:
        x, y = x[..., None], y[..., None]
    if x.ndim != 4:
        raise ValueError(f"images must be (N, H, W) or (N, H, W, C), got shape {tuple(x.shape)}")
    n, h, w, c = x.shape
    if win_size < 1 or min(h, w) < win_size:
        raise ValueError(f"images of {(h, w)} are smaller than the {win_size}x{win_size} window")
    if n == 0:
        return torch.zeros(0, dtype=torch.float64, device=x.device)
    dtype = torch.float64
    if precision != "float64":
        if _float32_is_exact(x, y, win_size):
            dtype = torch.float32
        elif precision == "float32":
            raise ValueError(
                "precision='float32' needs integer-valued CPU images with 2*win_size**2*max|x|**2 < 2**24 "
                "and torch.get_float32_matmul_precision() == 'highest'"
            )
    a = x.permute(0, 3, 1, 2).reshape(n * c, h, w)
    b = y.permute(0, 3, 1, 2).reshape(n * c, h, w)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    tiles_h = _band_tiles(h, win_size, dtype, x.device)
    tiles_w = tiles_h if w == h else _band_tiles(w, win_size, dtype, x.device)
    block = max(1, _BLOCK_PIXELS // (h * w))
    out = torch.empty(n * c, dtype=torch.float64, device=x.device)
    for start in range(0, n * c, block):
        stop = min(start + block, n * c)
        out[start:stop] = _ssim_planes(
            a[start:stop], b[start:stop], tiles_h, tiles_w, win_size, c1, c2, sample_covariance
        )
    return out.view(n, c).mean(dim=1)


def ssim_pairs(
    images: np.ndarray | torch.Tensor, pairs: np.ndarray, *, chunk: int = 8192, **ssim_kwargs: Any
) -> np.ndarray:
    """SSIM of images[i] with images[j] for every row (i, j) of ``pairs`` (P, 2), as float64 (P,).

    ``images`` is (N, H, W) or (N, H, W, C), uint8 or float (numpy or torch). Pairs stream through in
    chunks of ``chunk`` pairs, each gathering only its own images, so memory stays bounded for millions of
    pairs; ``ssim_kwargs`` go to :func:`ssim` (data_range, win_size, precision, ...).
    """
    pairs = np.asarray(pairs)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or not (pairs.size == 0 or np.issubdtype(pairs.dtype, np.integer)):
        raise ValueError(f"pairs must be an integer array of shape (P, 2), got {pairs.dtype} {pairs.shape}")
    if chunk < 1:
        raise ValueError(f"chunk must be positive, got {chunk}")
    n = len(images)
    if pairs.size and (pairs.min() < 0 or pairs.max() >= n):
        raise ValueError(f"pair indices must lie in [0, {n}), got [{pairs.min()}, {pairs.max()}]")
    out = np.empty(len(pairs), dtype=np.float64)
    for start in range(0, len(pairs), chunk):
        part = pairs[start : start + chunk].astype(np.int64)
        if isinstance(images, torch.Tensor):
            idx = torch.from_numpy(part).to(images.device)
            x, y = images[idx[:, 0]], images[idx[:, 1]]
        else:
            x, y = torch.from_numpy(images[part[:, 0]]), torch.from_numpy(images[part[:, 1]])
        out[start : start + len(part)] = ssim(x, y, **ssim_kwargs).cpu().numpy()
    return out
