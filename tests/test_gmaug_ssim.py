"""Fast batched SSIM and SSIM-supSubCls against scikit-image, PIL and brute force."""

import itertools

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data
from skimage.metrics import structural_similarity

from kdgen.metrics.ssim import ssim, ssim_pairs
from kdgen.metrics.ssim_sets import draw_pairs, prepare, ssim_supsubcls, superclass_seed


def _crops(image, n, size, rng):
    """``n`` random size x size crops of ``image``."""
    h, w = image.shape[:2]
    return np.stack(
        [image[i : i + size, j : j + size] for i, j in zip(rng.integers(0, h - size, n), rng.integers(0, w - size, n))]
    )


def _grey_pairs():
    """uint8 32x32 pairs that probe the arithmetic: random noise, photograph crops, near-identical bright
    and dark images, constant images, and bright patterns of period 7 whose every 7x7 window has the same
    sums, so rounding errors do not average out (float32 E[x^2] - E[x]^2 is off by ~2e-4 on them)."""
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (2, 20, 32, 32), dtype=np.uint8)
    camera = _crops(data.camera(), 40, 32, rng).reshape(2, 20, 32, 32)
    base = np.concatenate([rng.integers(240, 243, (10, 32, 32)), rng.integers(3, 6, (10, 32, 32))]).astype(np.uint8)
    nudged = np.clip(base.astype(int) + (rng.random(base.shape) < 0.1), 0, 255).astype(np.uint8)
    near = np.stack([base, nudged])
    levels = np.array([0, 0, 255, 255, 7, 128, 200, 3])
    constant = np.stack(
        [np.broadcast_to(levels[:4, None, None], (4, 32, 32)), np.broadcast_to(levels[4:, None, None], (4, 32, 32))]
    )
    i, j = np.mgrid[:32, :32]
    periodic = np.array(
        [[lo - k + ((i + 2 * j) % 7) % k, 238 + ((3 * i + j) % 7) % 2] for lo, k in [(242, 2), (254, 2), (251, 4)]]
    )
    x, y = (np.concatenate(parts) for parts in zip(noise, camera, near, constant, periodic.transpose(1, 0, 2, 3)))
    return x.astype(np.uint8), y.astype(np.uint8)


def _reference(x, y, channel_axis=None):
    return np.array([structural_similarity(a, b, data_range=255, channel_axis=channel_axis) for a, b in zip(x, y)])


@pytest.mark.parametrize("precision,atol", [("float32", 1e-5), ("auto", 1e-5), ("float64", 1e-12)])
def test_ssim_matches_scikit_image_on_grey_pairs(precision, atol):
    x, y = _grey_pairs()
    ours = ssim(torch.from_numpy(x), torch.from_numpy(y), precision=precision).numpy()
    ref = _reference(x, y)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=atol)
    assert ours.dtype == np.float64 and ref.min() < 0.1 and (ref > 0.99).sum() >= 4  # far and near pairs both there


@pytest.mark.parametrize("precision,atol", [("float32", 1e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("size", [(32, 32), (24, 40)])
def test_ssim_matches_scikit_image_on_rgb_pairs(precision, atol, size):
    rng = np.random.default_rng(1)
    image = data.astronaut()
    x = np.stack([image[i : i + size[0], j : j + size[1]] for i, j in rng.integers(0, 400, (12, 2))])
    y = np.stack([image[i : i + size[0], j : j + size[1]] for i, j in rng.integers(0, 400, (12, 2))])
    y[:3] = x[:3] // 2 + 100  # same structure, other brightness
    ours = ssim(torch.from_numpy(x), torch.from_numpy(y), precision=precision).numpy()
    np.testing.assert_allclose(ours, _reference(x, y, channel_axis=-1), rtol=0, atol=atol)


def test_inexact_float32_inputs_take_the_float64_path_and_float32_refuses_them():
    x, y = (a[:8].astype(np.float64) / 255 for a in _grey_pairs())  # not integers
    ref = [structural_similarity(a, b, data_range=1.0) for a, b in zip(x, y)]
    np.testing.assert_allclose(
        ssim(torch.from_numpy(x), torch.from_numpy(y), data_range=1.0).numpy(), ref, rtol=0, atol=1e-12
    )
    bright = np.random.default_rng(8).integers(200, 256, (2, 6, 32, 32), dtype=np.uint8)  # 13x13 sums pass 2**24
    ref = [structural_similarity(a, b, data_range=255, win_size=13) for a, b in zip(*bright)]
    ours = ssim(torch.from_numpy(bright[0]), torch.from_numpy(bright[1]), win_size=13).numpy()
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    for a, b in [(x, y), (bright[0], bright[1])]:
        with pytest.raises(ValueError, match="integer-valued"):
            ssim(torch.from_numpy(a), torch.from_numpy(b), win_size=13, precision="float32")


def test_ssim_pairs_chunks_agree_with_one_chunk_and_with_ssim():
    rng = np.random.default_rng(2)
    images = _crops(data.camera(), 30, 32, rng)
    pairs = rng.integers(0, 30, (101, 2))
    one = ssim_pairs(images, pairs, chunk=1000)
    np.testing.assert_allclose(ssim_pairs(images, pairs, chunk=7), one, rtol=0, atol=1e-15)
    np.testing.assert_allclose(ssim_pairs(torch.from_numpy(images), pairs, chunk=16), one, rtol=0, atol=1e-15)
    direct = ssim(torch.from_numpy(images[pairs[:, 0]]), torch.from_numpy(images[pairs[:, 1]])).numpy()
    np.testing.assert_allclose(one, direct, rtol=0, atol=1e-15)
    assert one.shape == (101,) and one.dtype == np.float64 and one.std() > 0.05
    rgb = _crops(data.astronaut(), 9, 32, rng)
    np.testing.assert_allclose(
        ssim_pairs(rgb, [[0, 1], [2, 3], [8, 8]], chunk=2), [*_reference(rgb[[0, 2]], rgb[[1, 3]], -1), 1.0], atol=1e-12
    )
    assert ssim_pairs(images, np.zeros((0, 2), dtype=np.int64)).shape == (0,)
    with pytest.raises(ValueError, match=r"\[0, 30\)"):
        ssim_pairs(images, [[0, 30]])


def test_pair_counts_modes_and_seeds():
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 0, 1, 2, 2])
    n = len(labels)
    every = set(itertools.combinations(range(n), 2))
    cross = {(i, j) for i, j in every if labels[i] != labels[j]}

    consecutive = draw_pairs(labels, "consecutive", seed=3)
    assert consecutive.shape == (n // 2, 2) and len(np.unique(consecutive)) == 2 * (n // 2)  # non-overlapping
    everything = draw_pairs(labels, "all", seed=3)
    assert len(everything) == n * (n - 1) // 2 and set(map(tuple, everything)) == every
    random = draw_pairs(labels, "random", seed=3, n_pairs=37)
    assert random.shape == (37, 2) and (random[:, 0] != random[:, 1]).all()

    assert set(map(tuple, draw_pairs(labels, "all", seed=3, cross_subclass=True))) == cross
    kept = draw_pairs(labels, "consecutive", seed=3, cross_subclass=True)
    assert {tuple(p) for p in kept} == {tuple(p) for p in consecutive if labels[p[0]] != labels[p[1]]}
    random_cross = draw_pairs(labels, "random", seed=3, n_pairs=50, cross_subclass=True)
    assert len(random_cross) == 50 and (labels[random_cross[:, 0]] != labels[random_cross[:, 1]]).all()

    capped = draw_pairs(labels, "all", seed=3, n_pairs=10, cross_subclass=True)
    assert len(capped) == 10 and len(set(map(tuple, capped))) == 10 and set(map(tuple, capped)) <= cross
    assert len(draw_pairs(labels, "consecutive", seed=3, n_pairs=2)) == 2

    for mode, k in [("consecutive", None), ("random", 20), ("all", 12)]:
        a, b, c = (draw_pairs(labels, mode, seed=s, n_pairs=k) for s in (5, 5, 6))
        assert np.array_equal(a, b) and not np.array_equal(a, c), mode
    with pytest.raises(ValueError, match="needs n_pairs"):
        draw_pairs(labels, "random", seed=0)


def test_supsubcls_is_one_for_identical_subclasses_and_picks_the_max():
    rng = np.random.default_rng(4)
    twin = _crops(data.camera(), 1, 32, rng)[0]
    twins = np.stack([twin] * 12)  # classes 0 and 1: the same image six times each
    apart = np.concatenate([_crops(data.camera(), 8, 32, rng), rng.integers(0, 256, (8, 32, 32), dtype=np.uint8)])
    images = np.concatenate([twins, apart])
    labels = np.array([0] * 6 + [1] * 6 + [2] * 8 + [3] * 8)
    superclass_of = ["twins", "twins", "apart", "apart"]
    result = ssim_supsubcls(images, labels, superclass_of, mode="all", seed=0, cross_subclass=True)
    rows = {r.name: r for r in result.rows}
    assert rows["twins"].mean == pytest.approx(1.0, abs=1e-12) and rows["twins"].n_pairs == 36
    assert rows["apart"].mean < 0.5 and (rows["apart"].n_subclasses, rows["apart"].n_images) == (2, 16)
    assert result.superclass == "twins" and result.value == rows["twins"].mean
    table = result.as_rows()
    assert [r["superclass"] for r in table] == ["twins", "apart", "max"] and table[-1]["max_of"] == "twins"


def test_supsubcls_rows_against_scikit_image_and_the_sem_formula():
    rng = np.random.default_rng(5)
    images = np.concatenate([_crops(data.camera(), 20, 32, rng), _crops(data.moon(), 20, 32, rng)])
    labels = np.repeat([0, 1, 2, 3], 10)
    superclass_of = ["camera", "camera", "moon", "moon"]
    result = ssim_supsubcls(images, labels, superclass_of, mode="consecutive", seed=9)
    for row, idx in zip(result.rows, [np.arange(20), np.arange(20, 40)]):
        pairs = idx[draw_pairs(labels[idx], "consecutive", superclass_seed(9, row.name))]
        values = _reference(images[pairs[:, 0]], images[pairs[:, 1]])
        assert row.n_pairs == 10 == len(values)
        assert row.mean == pytest.approx(values.mean(), abs=1e-12)
        assert row.sem == pytest.approx(values.std(ddof=1) / np.sqrt(10), abs=1e-12)
    best = max(result.rows, key=lambda r: r.mean)
    assert result.superclass == best.name and result.value == best.mean
    assert result.rows[0].mean != result.rows[1].mean
    assert superclass_seed(9, "camera") == superclass_seed(9, "camera") != superclass_seed(9, "moon")


@pytest.mark.parametrize(
    "labels,superclass_of,kwargs,message",
    [
        ([0, 1, 0, 1], [None, None], {}, "no super-classes"),
        ([0, 1, 2, 0], ["fish", "fish", None], {}, "without a super-class .*: 2"),
        ([0, 1, 2, 2], ["fish", "fish", "bird"], {}, "fewer than two sub-classes: bird"),
        ([0, 1, 2, 0, 1], ["fish", "fish", "bird", "bird"], {}, r"too few images .*bird \(1 images"),
        (
            [0, 0, 2, 3],
            ["fish", "fish", "bird", "bird"],
            {"cross_subclass": True},
            r"need images of two sub-classes.*fish",
        ),
    ],
)
def test_supsubcls_errors_name_the_culprit(labels, superclass_of, kwargs, message):
    images = np.random.default_rng(6).integers(0, 256, (len(labels), 16, 16), dtype=np.uint8)
    with pytest.raises(ValueError, match=message):
        ssim_supsubcls(images, np.array(labels), superclass_of, **kwargs)


def test_prepare_matches_pil_grey_crop_and_resize():
    rng = np.random.default_rng(7)
    images = np.stack([data.astronaut()[:300, :400], data.coffee()[:300, :400]])
    images[1, :10] = rng.integers(0, 256, (10, 400, 3))
    grey = prepare(images, resolution=None, colour="grey", crop="none")
    pil = np.stack([np.asarray(Image.fromarray(im).convert("L")) for im in images])
    np.testing.assert_array_equal(grey, pil)
    cropped = prepare(images, resolution=None, colour="grey", crop="centre")
    np.testing.assert_array_equal(cropped, pil[:, :, 50:350])
    small = prepare(images, resolution=32, colour="grey", crop="centre")
    expected = [np.asarray(Image.fromarray(im).resize((32, 32), Image.Resampling.BILINEAR)) for im in pil[:, :, 50:350]]
    assert small.shape == (2, 32, 32) and small.dtype == np.uint8
    np.testing.assert_array_equal(small, np.stack(expected))
    assert prepare(images, resolution=24, colour="rgb", crop="centre").shape == (2, 24, 24, 3)
    assert prepare(pil, resolution=16, colour="grey", crop="none").shape == (2, 16, 16)
    with pytest.raises(ValueError, match="colour='rgb' needs RGB"):
        prepare(pil, resolution=16, colour="rgb")
