"""Structural similarity (SSIM) for many image pairs at once."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    data_range: float = 255.0,
    win_size: int = 7,
    k1: float = 0.01,
    k2: float = 0.03,
    sample_covariance: bool = True,
) -> torch.Tensor:
    """Mean SSIM of each pair (x[i], y[i]); images (N, H, W) or (N, H, W, C), any real dtype.

    Matches ``skimage.metrics.structural_similarity`` with its defaults (uniform ``win_size`` window,
    sample covariance, the border of half a window excluded from the mean, channels averaged): one
    pooling pass over all pairs, in float64. Returns a float64 tensor of shape (N,).
    """
    if x.shape != y.shape:
        raise ValueError(f"shape mismatch: {tuple(x.shape)} vs {tuple(y.shape)}")
    if x.ndim == 3:
        x, y = x[..., None], y[..., None]
    if min(x.shape[1:3]) < win_size:
        raise ValueError(f"images of {tuple(x.shape[1:3])} are smaller than the {win_size}x{win_size} window")
    n, c = x.shape[0], x.shape[-1]
    a = x.permute(0, 3, 1, 2).reshape(n * c, 1, *x.shape[1:3]).to(torch.float64)
    b = y.permute(0, 3, 1, 2).reshape(n * c, 1, *y.shape[1:3]).to(torch.float64)
    stacked = torch.cat([a, b, a * a, b * b, a * b], dim=1)
    mu_a, mu_b, m_aa, m_bb, m_ab = F.avg_pool2d(stacked, win_size, stride=1).unbind(1)
    norm = win_size**2 / (win_size**2 - 1) if sample_covariance else 1.0
    var_a = norm * (m_aa - mu_a * mu_a)
    var_b = norm * (m_bb - mu_b * mu_b)
    cov = norm * (m_ab - mu_a * mu_b)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.reshape(n, c, -1).mean(dim=(1, 2))
