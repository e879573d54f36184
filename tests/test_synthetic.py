"""The procedural plane-figure family: determinism, WordNet hierarchy, and what its knobs move."""

import itertools

import numpy as np
import pytest
import torch

from kdgen.data import synthetic
from kdgen.data.sources import make_synthetic
from kdgen.metrics import intrinsic_dimension, ssim

OPTIONS = {
    "classes": ["triangle.n.01", "square.n.01", "circle.n.01", "ellipse.n.01", "star.n.05"],
    "train_per_class": 30,
    "test_per_class": 10,
    "factors": list(synthetic.FACTORS),
    "sibling_similarity": 0.0,
    "superclass_root": "plane_figure.n.01",
}


def _render(classes, factors, n=200, lam=0.0, seed=0, size=32):
    fields = synthetic.canonical_fields(classes, ["same"] * len(classes), lam)
    return synthetic.render(synthetic.balanced_labels(len(classes), n), fields, factors, size, seed)


def test_every_shape_is_inside_at_the_centre_and_outside_at_the_corners():
    fields = synthetic.canonical_fields(list(synthetic.SHAPES), list(synthetic.SHAPES), 0.0, grid=65)
    centre = fields[:, 32, 32]
    corners = fields[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert bool((centre < 0).all()) and bool((corners > 0).all())
    # no two classes share a silhouette
    inside = (fields < 0).reshape(len(fields), -1).float()
    inter = inside @ inside.T
    iou = inter / (inside.sum(1)[:, None] + inside.sum(1)[None, :] - inter)
    assert float((iou - torch.eye(len(fields))).max()) < 0.97


def test_make_synthetic_is_deterministic_and_seed_dependent(wordnet):
    a = make_synthetic(OPTIONS, 24, seed=5, wordnet=wordnet)
    b = make_synthetic(OPTIONS, 24, seed=5, wordnet=wordnet)
    c = make_synthetic(OPTIONS, 24, seed=6, wordnet=wordnet)
    assert a.images.shape == (5 * 40, 24, 24, 3) and a.images.dtype == np.uint8
    np.testing.assert_array_equal(a.images, b.images)
    assert not np.array_equal(a.images, c.images)
    assert a.class_counts("train").tolist() == [30] * 5 and a.class_counts("test").tolist() == [10] * 5
    # train and test images are different draws
    assert not np.array_equal(a.images[a.split == 0][:10], a.images[a.split == 1][:10])


def test_superclasses_come_from_wordnet_hypernyms(wordnet):
    ds = make_synthetic(OPTIONS, 16, seed=0, wordnet=wordnet)
    supers = {c.name: c.superclass for c in ds.classes}
    assert supers == {"triangle": "polygon", "square": "polygon", "circle": "conic_section", "ellipse": "conic_section", "star": "star"}
    assert [c.wnid for c in ds.classes][:2] == ["n13879320", "n13878634"]


def test_factors_are_independent_random_streams():
    classes = ["triangle.n.01", "circle.n.01"]
    without = _render(classes, ["position"], n=20)
    with_noise = _render(classes, ["position", "noise"], n=20)
    # noise is added on top of the very same shapes at the very same places
    diff = with_noise.astype(np.int64) - without.astype(np.int64)
    assert 1.0 < np.abs(diff).mean() < 30.0
    assert np.corrcoef(without.ravel(), with_noise.ravel())[0, 1] > 0.9


def test_more_factors_raise_the_intrinsic_dimension():
    classes = ["pentagon.n.03"]
    ids = [
        intrinsic_dimension(_render(classes, factors, n=1500))["id"]
        for factors in (["position"], ["position", "scale", "rotation"], ["position", "scale", "rotation", "colour"])
    ]
    assert ids[0] < ids[1] < ids[2], ids
    assert 1.2 < ids[0] < 3.5  # position alone: about two dimensions


def _sibling_ssim(lam: float) -> float:
    classes = ["triangle.n.01", "square.n.01", "hexagon.n.01"]
    images = _render(classes, ["position", "scale"], n=100, lam=lam).mean(axis=-1)
    per_class = images.reshape(len(classes), 100, 32, 32)
    scores = [
        ssim(torch.from_numpy(per_class[a]), torch.from_numpy(per_class[b])).mean()
        for a, b in itertools.combinations(range(len(classes)), 2)
    ]
    return float(np.mean(scores))


def test_sibling_similarity_raises_ssim_between_sibling_classes():
    values = [_sibling_ssim(lam) for lam in (0.0, 0.5, 1.0)]
    assert values[0] < values[1] < values[2], values


def test_similarity_acts_per_superclass():
    classes = ["triangle.n.01", "square.n.01", "circle.n.01", "ellipse.n.01"]
    supers = ["polygon", "polygon", "conic_section", "conic_section"]
    fields = synthetic.canonical_fields(classes, supers, {"polygon": 1.0})
    assert torch.equal(fields[0], fields[1])
    assert not torch.allclose(fields[2], fields[3])


def test_unknown_factor_or_shape_is_an_error():
    with pytest.raises(ValueError, match="unknown factors"):
        _render(["circle.n.01"], ["blur"], n=1)
    with pytest.raises(KeyError, match="no synthetic shape"):
        synthetic.canonical_fields(["dodecahedron.n.01"], ["x"])


def test_texture_contrast_deepens_the_background_grating():
    fields = synthetic.canonical_fields(["circle.n.01"], ["conic_section"])
    labels = synthetic.balanced_labels(1, 40)

    def corner_std(factors, contrast):
        images = synthetic.render(labels, fields, factors, 32, seed=3, texture_contrast=contrast)
        return images[:, :6, :6].astype(float).std(axis=(1, 2)).mean()  # background only

    stds = [corner_std(["colour", "texture"], c) for c in (0.0, 0.5, 1.0)]
    assert stds[0] < stds[1] < stds[2] and stds[2] > 2 * stds[0], stds
    # the extra grating belongs to the texture factor: without it the background stays flat
    assert corner_std(["colour"], 1.0) == corner_std(["colour"], 0.0) < 0.6
    with pytest.raises(ValueError, match="texture_contrast"):
        synthetic.render(labels, fields, ["texture"], 32, seed=3, texture_contrast=1.5)


def test_noise_strength_scales_the_pixel_noise():
    fields = synthetic.canonical_fields(["square.n.01"], ["polygon"])
    labels = synthetic.balanced_labels(1, 20)
    clean = synthetic.render(labels, fields, ["position"], 32, seed=2).astype(float)
    deviation = [
        np.abs(synthetic.render(labels, fields, ["position", "noise"], 32, seed=2, noise_strength=s) - clean).mean()
        for s in (0.0, 1.0, 2.0)
    ]
    assert deviation[0] == 0.0 and deviation[2] == pytest.approx(2 * deviation[1], rel=0.15), deviation
    with pytest.raises(ValueError, match="noise_strength"):
        synthetic.render(labels, fields, ["noise"], 32, seed=2, noise_strength=-1.0)
