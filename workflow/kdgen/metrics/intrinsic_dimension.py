"""Intrinsic dimension: Levina-Bickel maximum likelihood, bias-corrected (k-2) form."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from kdgen.metrics.neighbours import knn_distances


def mle_intrinsic_dimension(points: torch.Tensor, k_min: int = 10, k_max: int = 20) -> float:
    """Levina-Bickel MLE of the intrinsic dimension of ``points`` (N, D), averaged over k.

    For each k in ``k_min..k_max`` and each point x with neighbour distances T_1 <= ... <= T_k:
    ``m_k(x) = [ (1/(k-2)) sum_{j<k} ln(T_k / T_j) ]^-1``; m_k is averaged over points, then over k.
    Points must be distinct (a zero distance makes the logarithm infinite).
    """
    if k_min < 3 or k_max < k_min:
        raise ValueError(f"need 3 <= k_min <= k_max, got k_min={k_min}, k_max={k_max}")
    dist, _ = knn_distances(points, k=k_max, exclude_self=True)
    if bool((dist[:, 0] <= 0).any()):
        raise ValueError("duplicate points: drop duplicates before estimating the intrinsic dimension")
    log_t = torch.log(dist)  # (N, k_max)
    cum = torch.cumsum(log_t, dim=1)  # cum[:, k-1] = sum_{j<=k} ln T_j
    estimates = []
    for k in range(k_min, k_max + 1):
        # sum_{j=1}^{k-1} ln(T_k/T_j) = (k-1) ln T_k - sum_{j<k} ln T_j
        s = (k - 1) * log_t[:, k - 1] - cum[:, k - 2]
        estimates.append(((k - 2) / s).mean())
    return float(torch.stack(estimates).mean())


def images_to_vectors(images: np.ndarray, size: int | None = 32) -> torch.Tensor:
    """uint8 images (N, H, W[, C]) -> float vectors (N, size*size*3) in [0, 1].

    Grey images are repeated to three channels; images are resized (bilinear, antialiased) to
    ``size`` x ``size`` unless ``size`` is None.
    """
    x = torch.from_numpy(np.asarray(images))
    if x.dtype != torch.uint8:
        raise TypeError(f"expected uint8 images, got {x.dtype}")
    if x.ndim == 3:
        x = x[..., None]
    x = x.permute(0, 3, 1, 2).float() / 255.0
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if size is not None and tuple(x.shape[-2:]) != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
    return x.reshape(len(x), -1)


def intrinsic_dimension(
    images: np.ndarray,
    k_min: int = 10,
    k_max: int = 20,
    size: int | None = 32,
    bootstrap: int = 0,
    seed: int = 0,
) -> dict[str, float]:
    """Intrinsic dimension of a set of uint8 images (N, H, W[, C]).

    Images are resized to ``size`` x ``size`` x 3 and flattened, duplicates are dropped, and the
    Levina-Bickel (k-2) estimate is averaged over k = ``k_min..k_max``. With ``bootstrap`` > 0 the
    estimate is the mean over that many resamples with replacement (duplicates dropped in each).
    Returns ``{"id": estimate, "std": spread over resamples (0 without bootstrap), "n": distinct images}``.
    """
    vectors = torch.unique(images_to_vectors(images, size), dim=0)
    if bootstrap <= 0:
        return {"id": mle_intrinsic_dimension(vectors, k_min, k_max), "std": 0.0, "n": len(vectors)}
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(bootstrap):
        pick = np.unique(rng.integers(0, len(vectors), len(vectors)))
        if len(pick) <= k_max:
            raise ValueError(
                f"a bootstrap resample of {len(vectors)} distinct images keeps {len(pick)}, not more than "
                f"k_max = {k_max}: use sets of at least {3 * (k_max + 1)} images, a smaller k_max, or no bootstrap"
            )
        values.append(mle_intrinsic_dimension(vectors[torch.from_numpy(pick)], k_min, k_max))
    return {"id": float(np.mean(values)), "std": float(np.std(values, ddof=1)), "n": len(vectors)}
