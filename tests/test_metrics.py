"""Batched metrics against reference implementations (scikit-image, scikit-learn, brute force)."""

import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity
from sklearn.neighbors import NearestNeighbors

from kdgen.metrics import intrinsic_dimension, knn_distances, mle_intrinsic_dimension, ssim


def _pairs(rng, shape):
    x = rng.integers(0, 256, shape).astype(np.uint8)
    smooth = np.clip(np.cumsum(rng.normal(0, 12, shape), axis=1), -128, 127)
    y = np.clip(x.astype(np.int64) // 2 + 64 + smooth.astype(np.int64), 0, 255).astype(np.uint8)
    return x, y


@pytest.mark.parametrize("shape,channel_axis", [((6, 32, 32), None), ((6, 24, 40, 3), -1), ((3, 7, 9), None)])
def test_ssim_matches_scikit_image(shape, channel_axis):
    x, y = _pairs(np.random.default_rng(0), shape)
    ours = ssim(torch.from_numpy(x), torch.from_numpy(y)).numpy()
    ref = [structural_similarity(a, b, data_range=255, channel_axis=channel_axis) for a, b in zip(x, y)]
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    assert ours.std() > 0  # the pairs really differ from each other


def test_ssim_identical_images_is_one_and_rejects_tiny_images():
    x = np.random.default_rng(1).integers(0, 256, (2, 16, 16)).astype(np.uint8)
    np.testing.assert_allclose(ssim(torch.from_numpy(x), torch.from_numpy(x)).numpy(), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="smaller than"):
        ssim(torch.zeros(1, 5, 5), torch.zeros(1, 5, 5))


def test_knn_matches_scikit_learn():
    rng = np.random.default_rng(2)
    ref, q = rng.normal(size=(300, 20)), rng.normal(size=(77, 20))
    dist, idx = knn_distances(torch.from_numpy(q), torch.from_numpy(ref), k=3, chunk=16)
    sk_dist, sk_idx = NearestNeighbors(n_neighbors=3, algorithm="brute").fit(ref).kneighbors(q)
    np.testing.assert_array_equal(idx.numpy(), sk_idx)
    np.testing.assert_allclose(dist.numpy(), sk_dist, rtol=1e-9)
    # self search drops each point's match with itself
    dist, idx = knn_distances(torch.from_numpy(ref), k=2, exclude_self=True, chunk=50)
    sk_dist, sk_idx = NearestNeighbors(n_neighbors=3, algorithm="brute").fit(ref).kneighbors(ref)
    np.testing.assert_array_equal(idx.numpy(), sk_idx[:, 1:])


def _id_brute_force(x: np.ndarray, k_min: int, k_max: int) -> float:
    """The (k-2) Levina-Bickel estimate written out point by point."""
    estimates = []
    for k in range(k_min, k_max + 1):
        per_point = []
        for i in range(len(x)):
            d = np.sort(np.linalg.norm(x - x[i], axis=1))[1 : k + 1]
            per_point.append(1.0 / (np.sum(np.log(d[k - 1] / d[: k - 1])) / (k - 2)))
        estimates.append(np.mean(per_point))
    return float(np.mean(estimates))


def test_intrinsic_dimension_matches_brute_force():
    x = np.random.default_rng(3).normal(size=(150, 12))
    assert mle_intrinsic_dimension(torch.from_numpy(x), 5, 9) == pytest.approx(_id_brute_force(x, 5, 9), rel=1e-9)


@pytest.mark.parametrize("d", [2, 4, 8])
def test_intrinsic_dimension_of_a_linear_subspace(d):
    rng = np.random.default_rng(d)
    points = rng.normal(size=(3000, d)) @ rng.normal(size=(d, 64))
    assert mle_intrinsic_dimension(torch.from_numpy(points)) == pytest.approx(d, rel=0.15)


def test_intrinsic_dimension_of_images_drops_duplicates_and_bootstraps():
    rng = np.random.default_rng(4)
    latent = rng.uniform(size=(800, 3))
    basis = rng.normal(size=(3, 8 * 8 * 3))
    imgs = np.clip(latent @ basis * 40 + 128, 0, 255).astype(np.uint8).reshape(-1, 8, 8, 3)
    doubled = np.concatenate([imgs, imgs[:100]])
    plain = intrinsic_dimension(doubled, size=None)
    assert plain["n"] == len(np.unique(imgs.reshape(len(imgs), -1), axis=0))
    boot = intrinsic_dimension(doubled, size=None, bootstrap=5, seed=0)
    assert boot["std"] > 0 and abs(boot["id"] - plain["id"]) < 1.0
    assert 2.0 < plain["id"] < 5.0


def test_bootstrap_resamples_too_small_for_k_are_a_clear_error():
    imgs = np.random.default_rng(5).integers(0, 256, (24, 8, 8, 3), dtype=np.uint8)
    assert intrinsic_dimension(imgs, size=None)["n"] == 24  # 24 > k_max: fine without bootstrap
    with pytest.raises(ValueError, match=r"bootstrap resample of 24 distinct images keeps \d+, not more than k_max = 20"):
        intrinsic_dimension(imgs, size=None, bootstrap=3)


def test_intrinsic_dimension_of_real_mnist(mnist):
    est = intrinsic_dimension(mnist[:3000], size=None)["id"]
    # Published Levina-Bickel estimates for MNIST lie around 7 to 15 depending on k and sample size.
    assert 7 < est < 16
