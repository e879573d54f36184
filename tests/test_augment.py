"""The batched augmentation against torchvision's per-image transforms: the same operations, drawn from
the same parameter ranges with the same probabilities (in distribution, not draw for draw), and the
seeding contract (a function of seed and position; shared stages draw alike)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as TF

from kdgen.data import synthetic
from kdgen.train.augment import (
    CROP_TRIES,
    GEOMETRY_COLUMNS,
    Augmentation,
    Geometry,
    apply_cutout,
    apply_geometry,
    crop_boxes,
    cutout_side,
)

SIZE = 32


@pytest.fixture(scope="module")
def shapes() -> torch.Tensor:
    fields = synthetic.canonical_fields(["triangle.n.01", "circle.n.01", "square.n.01"], ["a", "b", "c"])
    images = synthetic.render(synthetic.balanced_labels(3, 32), fields, list(synthetic.FACTORS), SIZE, seed=0)
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()


def _per_image(transform, images: torch.Tensor, seed: int) -> torch.Tensor:
    torch.manual_seed(seed)
    return torch.stack([transform(img) for img in images])


def _u(n: int, columns: int, seed: int = 0) -> torch.Tensor:
    return torch.rand((n, columns), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_crop_boxes_are_drawn_as_torchvision_draws_them():
    n = 4000
    ours = crop_boxes(_u(n, GEOMETRY_COLUMNS), SIZE, SIZE).double()
    torch.manual_seed(0)
    theirs = torch.tensor([_tv_box() for _ in range(n)], dtype=torch.float64)
    for col, what in enumerate(["top", "left", "h", "w"]):
        a, b = ours[:, col], theirs[:, col]
        assert abs(float(a.mean() - b.mean())) < 0.03 * SIZE, what
        assert abs(float(a.std() - b.std())) < 0.03 * SIZE, what
    area_ours, area_theirs = (ours[:, 2] * ours[:, 3]).sort().values, (theirs[:, 2] * theirs[:, 3]).sort().values
    assert float((area_ours - area_theirs).abs().max()) < 0.05 * SIZE * SIZE  # quantile by quantile
    assert bool(((ours[:, 0] + ours[:, 2] <= SIZE) & (ours[:, 1] + ours[:, 3] <= SIZE) & (ours[:, 2:] > 0).all(1)).all())


def _tv_box() -> tuple[int, int, int, int]:
    crop = v2.RandomResizedCrop(SIZE, scale=(0.2, 1.0))
    p = crop.make_params([torch.zeros(3, SIZE, SIZE, dtype=torch.uint8)])
    return p["top"], p["left"], p["height"], p["width"]


def test_no_fitting_try_falls_back_to_the_whole_image():
    u = torch.zeros(1, GEOMETRY_COLUMNS, dtype=torch.float64)
    u[0, 0 : 2 * CROP_TRIES : 2] = 1.0  # scale 1 ...
    u[0, 1 : 2 * CROP_TRIES : 2] = 0.0  # ... at ratio 3/4: the box is taller than the image
    assert crop_boxes(u, SIZE, SIZE).tolist() == [[0, 0, SIZE, SIZE]]


def _geometry_u(top_frac: float, angle_u: float, flip: bool) -> torch.Tensor:
    """One row whose first try is the whole image (scale 1, ratio 1), with the given flip and angle."""
    u = torch.zeros(1, GEOMETRY_COLUMNS, dtype=torch.float64)
    u[0, 0], u[0, 1] = 1.0, 0.5
    u[0, 2 * CROP_TRIES], u[0, 2 * CROP_TRIES + 1] = top_frac, top_frac
    u[0, 2 * CROP_TRIES + 2] = 0.0 if flip else 1.0
    u[0, 2 * CROP_TRIES + 3] = angle_u
    return u


def test_one_sampling_equals_torchvisions_crop_flip_and_rotation(shapes):
    img = shapes[:1]
    # the whole image, no flip, no turn: the identity
    assert torch.equal(apply_geometry(img, _geometry_u(0, 0.5, False), Geometry(flip=True, degrees=15.0)), img)
    # the flip
    assert torch.equal(apply_geometry(img, _geometry_u(0, 0.5, True), Geometry(flip=True, degrees=15.0)), TF.horizontal_flip(img))
    # the turn: 15 degrees counter-clockwise, as torchvision's rotate turns (bilinear here and there)
    ours = apply_geometry(img, _geometry_u(0, 1.0, False), Geometry(flip=True, degrees=15.0)).float()
    theirs = TF.rotate(img, 15.0, interpolation=v2.InterpolationMode.BILINEAR).float()
    wrong_way = TF.rotate(img, -15.0, interpolation=v2.InterpolationMode.BILINEAR).float()
    assert float((ours - theirs).abs().mean()) < 1.0 < float((ours - wrong_way).abs().mean())
    # a crop box: torchvision's resized crop (bilinear upsampling)
    u = torch.zeros(1, GEOMETRY_COLUMNS, dtype=torch.float64)
    u[0, 0], u[0, 1] = 0.25, 0.5  # area scale 0.4 at ratio 1
    u[0, 2 * CROP_TRIES], u[0, 2 * CROP_TRIES + 1], u[0, 2 * CROP_TRIES + 2] = 0.3, 0.7, 1.0
    top, left, h, w = crop_boxes(u, SIZE, SIZE)[0].tolist()
    ours = apply_geometry(img, u, Geometry(flip=False, degrees=0.0)).float()
    theirs = TF.resized_crop(img, top, left, h, w, [SIZE, SIZE], antialias=True).float()
    # alike but on the outermost rows and columns, which read the pixels just outside the box here (one
    # sampling of the whole image) and repeat the box's edge there (the box is cut out, then resized)
    assert float((ours - theirs).abs().mean()) < 1.0 and float((ours - theirs)[..., 1:-1, 1:-1].abs().max()) <= 2


@pytest.mark.parametrize("name", ["randaugment-2-9", "ladder-10", "strong"])
def test_an_operation_on_its_group_equals_it_on_each_image(shapes, name):
    ops = Augmentation(name, SIZE).operations
    t = ops.transform
    for op, (magnitudes_fn, signed) in t._AUGMENTATION_SPACE.items():
        values = magnitudes_fn(10, SIZE, SIZE)
        magnitude = 0.0 if values is None else -float(values[7]) if signed else float(values[7])
        group = t._apply_image_or_video_transform(shapes[:8], op, magnitude, interpolation=t.interpolation, fill=t._fill)
        each = torch.stack([t._apply_image_or_video_transform(img, op, magnitude, interpolation=t.interpolation, fill=t._fill) for img in shapes[:8]])
        assert torch.equal(group, each), op


def test_randaugment_draws_its_operations_uniformly_and_signs_evenly():
    ops = Augmentation("randaugment-2-9", SIZE).operations
    n = 6000
    draws = ops.draws(_u(n, ops.columns, 1), SIZE, SIZE)
    names = [name for name, _ in ops.space]
    for step in draws:
        counts = np.array([sum(1 for d in step if d[0] == name) for name in names])
        expected = n / len(names)
        assert np.abs(counts - expected).max() < 5 * math.sqrt(expected)
        negative = [d[1] < 0 for d in step if d[0] == "Rotate"]
        assert abs(np.mean(negative) - 0.5) < 0.1
        assert {abs(d[1]) for d in step if d[0] == "Rotate"} == {float(ops.transform._AUGMENTATION_SPACE["Rotate"][0](31, SIZE, SIZE)[9])}


def test_autoaugment_applies_each_step_with_its_sub_policys_probability():
    ops = Augmentation("strong", SIZE).operations
    policies = ops.transform._policies
    n = 20000
    u = _u(n, ops.columns, 2)
    draws = ops.draws(u, SIZE, SIZE)
    chosen = (u[:, 0] * len(policies)).long()
    for k in range(2):
        expected = np.mean([policies[int(c)][k][1] for c in chosen])
        applied = np.mean([d is not None for d in draws[k]])
        assert abs(applied - expected) < 0.02
        for i in range(200):  # the operation is the sub-policy's own
            if draws[k][i] is not None:
                assert draws[k][i][0] == policies[int(chosen[i])][k][0]


def test_cutout_is_one_square_of_its_side_inside_the_image(shapes):
    bright = torch.full((500, 3, SIZE, SIZE), 200, dtype=torch.uint8)
    side = cutout_side(SIZE)
    out = apply_cutout(bright, _u(500, 2, 3), side)
    holes = (out == 0).all(1)
    assert bool((holes.flatten(1).sum(1) == side * side).all())
    rows = holes.any(2).float()
    assert float(rows[:, 0].mean()) > 0 and float(rows[:, -1].mean()) > 0  # every position is reachable
    assert cutout_side(224) == 16 and cutout_side(32) == 2 and cutout_side(8) == 1


def _summary(images: torch.Tensor, reference: torch.Tensor) -> dict[str, float]:
    x, r = images.float(), reference.float()
    return {
        "mean": float(x.mean()),
        "change": float((x - r).abs().mean()),
        "black": float((images == 0).all(1).float().mean()),
        "centre": float(x[..., 12:20, 12:20].mean()),
    }


@pytest.mark.parametrize("name", ["base", "weak", "strong", "ladder-5", "randaugment-2-9"])
def test_a_policy_changes_images_as_torchvisions_per_image_pipeline_does(shapes, name):
    """Over many views, summary statistics of our views and of torchvision's per-image pipeline agree."""
    images = shapes.repeat(8, 1, 1, 1)  # 768 views
    ours = _summary(Augmentation(name, SIZE)(images, 5), images)
    crop = v2.RandomResizedCrop(SIZE, scale=(0.2, 1.0), antialias=True)
    flip = v2.RandomHorizontalFlip()
    steps = {
        "base": [crop],
        "weak": [crop, flip, v2.RandomRotation(15)],
        "strong": [crop, flip, v2.RandomRotation(15), v2.AutoAugment(v2.AutoAugmentPolicy.CIFAR10),
                   v2.RandomErasing(p=1.0, scale=((2 / 32) ** 2,) * 2, ratio=(1.0, 1.0), value=0)],
        "ladder-5": [crop, flip, v2.RandAugment(2, 15)],
        "randaugment-2-9": [crop, flip, v2.RandAugment(2, 9)],
    }[name]
    theirs = _summary(_per_image(v2.Compose(steps), images, 5), images)
    for key in ours:
        assert abs(ours[key] - theirs[key]) <= 0.08 * max(abs(theirs[key]), 1.0) + 0.01, (key, ours, theirs)


def test_views_depend_on_the_seed_and_position_only(shapes):
    for name in ("weak", "strong", "ladder-3"):
        aug = Augmentation(name, SIZE)
        whole = aug(shapes, 11)
        assert torch.equal(aug(shapes[40:], 11, first=40), whole[40:])
        assert torch.equal(torch.cat([aug(shapes[:13], 11), aug(shapes[13:], 11, first=13)]), whole)
    state = torch.random.get_rng_state()
    Augmentation("strong", SIZE)(shapes, 1)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global generator is untouched


def test_stages_that_policies_share_are_drawn_alike(shapes):
    """ladder-0 is the crop and flip that ladder-K then transforms further; weak is strong's geometry."""
    ladder0 = Augmentation("ladder-0", SIZE)
    assert ladder0.operations is None and ladder0.geometry == Geometry(flip=True, degrees=0.0)
    ladder5 = Augmentation("ladder-5", SIZE)
    assert ladder5.geometry == ladder0.geometry and ladder5.operations is not None
    strong, weak = Augmentation("strong", SIZE), Augmentation("weak", SIZE)
    strong.operations, strong.cutout = None, None
    assert torch.equal(strong(shapes, 2), weak(shapes, 2))
    ladder5.operations = None
    assert torch.equal(ladder5(shapes, 4), ladder0(shapes, 4))
    # why the ladder does not start at RandAugment magnitude 0: that still changes images
    out = _per_image(v2.RandAugment(num_ops=2, magnitude=0), shapes, 4)
    assert (out != shapes).flatten(1).any(1).float().mean() > 0.1
