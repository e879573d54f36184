"""The lfkd study's measures (attention maps and their IoU, fidelity, KL, mutual information, calibration)
against hand computations and reference implementations (captum's identity with CAM, scikit-learn)."""

import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.metrics import mutual_info_score

from kdgen.metrics import (
    affinity,
    attention_masks,
    cam,
    class_activation_maps,
    coverage,
    entropy_of_labels,
    expected_calibration_error,
    fidelity,
    gradcam,
    kl_divergence,
    mean_entropy,
    minmax_per_image,
    mutual_information,
    mutual_information_knn,
    pooled_iou,
    top1,
    top1_agreement,
)
from kdgen.metrics.attention import upsample
from kdgen.models.zoo import Normalized, build_model, cam_parts, feature_layer, feature_map


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small tensors on one core: these tests share the machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _tiny(num_classes: int = 4, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_model("tiny", num_classes, 16).eval()


# ----------------------------------------------------------------------------- masks, IoU, coverage


def test_pooled_iou_identical_disjoint_and_hand_counted():
    a = torch.zeros(2, 4, 4, dtype=torch.bool)
    a[0, :2] = True  # 8 pixels
    assert pooled_iou(a, a.clone()) == 1.0
    assert pooled_iou(a, ~a) == 0.0
    b = torch.zeros_like(a)
    b[0, 1:3] = True  # 8 pixels, 4 shared with a
    b[1, 0, 0] = True  # 1 pixel only in b
    assert pooled_iou(a, b) == pytest.approx(4 / 13)  # union 8 + 8 + 1 - 4
    empty = torch.zeros_like(a)
    assert pooled_iou(empty, empty) == 1.0 and pooled_iou(a, empty) == 0.0
    with pytest.raises(ValueError, match="shape mismatch"):
        pooled_iou(a, a[:1])
    with pytest.raises(ValueError, match="bool"):
        pooled_iou(a.float(), b.float())


def test_masks_threshold_and_coverage():
    maps = torch.tensor([[[0.1, 0.4], [0.41, 1.0]]])
    masks = attention_masks(maps)
    assert masks.tolist() == [[[False, False], [True, True]]]  # strictly above 0.4
    assert coverage(masks) == 0.5
    assert coverage(attention_masks(maps, threshold=0.05)) == 1.0


def test_minmax_per_image_maps_to_unit_range_and_constant_maps_to_zero():
    maps = torch.stack([torch.full((3, 3), 7.0), torch.arange(9.0).reshape(3, 3) - 4])
    out = minmax_per_image(maps)
    assert torch.isfinite(out).all()
    assert torch.equal(out[0], torch.zeros(3, 3))
    torch.testing.assert_close(out[1], torch.arange(9.0).reshape(3, 3) / 8)
    # a 1 x 1 map upsampled varies by rounding only: still constant, not stretched to [0, 1]
    one_pixel = upsample(torch.tensor([[[1.1502e-9]], [[0.3]]]), (16, 16))
    assert torch.equal(minmax_per_image(one_pixel), torch.zeros(2, 16, 16))
    small = torch.tensor([[[0.0, 1e-30], [2e-30, 4e-30]]])  # tiny but real differences are kept
    torch.testing.assert_close(minmax_per_image(small), torch.tensor([[[0.0, 0.25], [0.5, 1.0]]]))


# ----------------------------------------------------------------------------- CAM


def test_cam_sum_is_the_class_summed_map_of_cam_parts():
    model = _tiny()
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        features, weight, _ = cam_parts(model, x)
        hand = torch.zeros(features.shape[0], *features.shape[2:])
        for k in range(weight.shape[0]):  # fc as a 1x1 convolution, per class, then summed
            for c in range(weight.shape[1]):
                hand += weight[k, c] * features[:, c]
    raw = class_activation_maps(model, x, "sum")
    torch.testing.assert_close(raw, hand, rtol=1e-5, atol=1e-5)
    maps = cam(model, x, "sum")
    assert maps.shape == (2, 16, 16)
    torch.testing.assert_close(maps, minmax_per_image(upsample(hand, (16, 16))), rtol=1e-5, atol=1e-5)
    assert maps.min() >= 0 and maps.max() <= 1
    torch.testing.assert_close(maps.amax(dim=(1, 2)), torch.ones(2))
    torch.testing.assert_close(maps.amin(dim=(1, 2)), torch.zeros(2))


def test_cam_maps_average_to_the_logits_less_bias():
    """The class-k map's spatial mean plus b[k] is the model's logit of class k."""
    model = _tiny(num_classes=3)
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        logits = model(x)
        _, _, bias = cam_parts(model, x)
    for k in range(3):
        raw = class_activation_maps(model, x, "true", torch.full((2,), k))
        torch.testing.assert_close(raw.mean(dim=(1, 2)) + bias[k], logits[:, k], rtol=1e-5, atol=1e-5)


def test_cam_pred_is_the_map_of_the_argmax_class_and_true_needs_labels():
    model = _tiny(num_classes=5, seed=3)
    x = torch.rand(4, 3, 16, 16)
    with torch.no_grad():
        pred = model(x).argmax(dim=1)
    per_class = torch.stack([class_activation_maps(model, x, "true", torch.full((4,), k)) for k in range(5)], 1)
    pred_maps = class_activation_maps(model, x, "pred")
    for i in range(4):
        matches = [k for k in range(5) if torch.allclose(pred_maps[i], per_class[i, k])]
        assert matches == [pred[i].item()]
    torch.testing.assert_close(cam(model, x, "pred"), cam(model, x, "true", pred))
    with pytest.raises(ValueError, match="needs the labels"):
        cam(model, x, "true")
    with pytest.raises(ValueError, match="unknown CAM mode"):
        cam(model, x, "max")
    with pytest.raises(ValueError, match="only used"):
        cam(model, x, "sum", pred)


def test_cam_of_a_constant_map_is_zero_and_the_model_mode_is_kept():
    model = _tiny().train()
    torch.nn.init.zeros_(model.fc.weight)
    maps = cam(model, torch.rand(2, 3, 16, 16))
    assert torch.equal(maps, torch.zeros(2, 16, 16))
    assert model.training  # measured in eval mode, then restored


# ----------------------------------------------------------------------------- feature layer, Grad-CAM


ARCHS = ["tiny", "resnet8", "resnet8x4", "wrn_10_2", "mobilenetv2", "shufflenetv2", "resnet18"]  # resnet50: slow


@pytest.mark.parametrize("name", ARCHS)
def test_feature_layer_outputs_the_feature_map(name):
    torch.manual_seed(0)
    model = Normalized(build_model(name, 3, 16), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)).eval()
    captured = []
    handle = feature_layer(model).register_forward_hook(lambda mod, inp, out: captured.append(out))
    x = torch.rand(2, 3, 16, 16)
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    assert len(captured) == 1
    with torch.no_grad():
        torch.testing.assert_close(captured[0], feature_map(model, x), rtol=0, atol=0)


@pytest.mark.parametrize("name", ARCHS)
def test_gradcam_is_relu_cam_of_the_target_class(name):
    """After global pooling and one linear layer, Grad-CAM's channel weights are W[k] / hw: Grad-CAM is
    the ReLU of the class-k CAM (up to scale), so captum's result must match it on every architecture."""
    torch.manual_seed(1)
    model = Normalized(build_model(name, 5, 32), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)).eval()
    x, target = torch.rand(2, 3, 32, 32), torch.tensor([4, 2])
    maps = gradcam(model, x, target)
    assert maps.shape == (2, 32, 32) and torch.isfinite(maps).all()
    assert maps.min() >= 0 and maps.max() <= 1
    expected = minmax_per_image(upsample(torch.relu(class_activation_maps(model, x, "true", target)), (32, 32)))
    assert expected.amax() == 1  # not a degenerate all-zero comparison
    torch.testing.assert_close(maps, expected, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="shape"):
        gradcam(model, x, target[:1])


def _patch_detector() -> torch.nn.Module:
    """The zoo's tiny net with weights set by hand: channel 0 of both convolutions passes the (standardised)
    RGB sum at each pixel, batch norm is the identity, and only class 0 reads channel 0. So class 0 sees
    bright pixels and nothing else; class 1 sees nothing."""
    model = build_model("tiny", 2, 16)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        conv1, bn1, conv2, bn2 = model.features[0], model.features[1], model.features[4], model.features[5]
        conv1.weight[0, :, 1, 1] = 1.0
        conv2.weight[0, 0, 1, 1] = 1.0
        for bn in (bn1, bn2):
            bn.weight.fill_(1.0)
            bn.running_mean.zero_()
            bn.running_var.fill_(1.0)
        model.fc.weight[0, 0] = 1.0
    return Normalized(model, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)).eval()


def test_gradcam_finds_the_bright_patch():
    torch.manual_seed(2)
    x = torch.rand(2, 3, 16, 16) * 0.3  # dark: standardised RGB sum < 0, cut by the ReLU
    patch = torch.zeros(2, 16, 16, dtype=torch.bool)
    patch[0, 2:8, 3:9] = True
    patch[1, 8:14, 6:14] = True
    x = torch.where(patch[:, None], 0.8 + 0.2 * torch.rand(2, 3, 16, 16), x)
    maps = gradcam(_patch_detector(), x, torch.tensor([0, 0]))
    assert maps.shape == (2, 16, 16) and torch.isfinite(maps).all()
    assert maps.min() >= 0 and maps.max() <= 1
    for i in range(2):
        assert maps[i][patch[i]].mean() > 0.5 > maps[i][~patch[i]].mean() + 0.3
    assert pooled_iou(attention_masks(maps), patch) > 0.6


# ----------------------------------------------------------------------------- agreement, MI


def test_top1_agreement_and_fidelity_hand_counted():
    student = torch.tensor([[5.0, 0, 0], [0, 5, 0], [0, 0, 5], [5, 0, 0]])  # predicts 0 1 2 0
    t1 = torch.tensor([[3.0, 0, 0], [0, 3, 0], [3, 0, 0], [0, 0, 3]])  # predicts 0 1 0 2
    t2 = torch.tensor([[0.0, 2, 0], [0, 3, 0], [0, 2, 0], [0, 0, 3]])  # predicts 1 1 1 2
    # mean logits: [1.5, 1, 0] [0, 3, 0] [1.5, 1, 0] [0, 0, 3] -> 0 1 0 2; agrees on images 0 and 1
    assert fidelity(student, [t1, t2]) == 0.5
    assert top1_agreement(student, t1) == 0.5 and top1_agreement(student, t2) == 0.25
    assert fidelity(student, [student]) == 1.0
    with pytest.raises(ValueError, match="no teachers"):
        fidelity(student, [])
    with pytest.raises(ValueError, match="shape mismatch"):
        top1_agreement(student, t1[:, :2])


def test_kl_divergence_hand_computed():
    p = torch.tensor([[0.5, 0.5], [0.9, 0.1]]).log() + 3.0  # logits up to a shift
    q = torch.tensor([[0.25, 0.75], [0.5, 0.5]]).log()
    hand = np.mean([0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75), 0.9 * math.log(1.8) + 0.1 * math.log(0.2)])
    assert kl_divergence(p, q) == pytest.approx(hand, rel=1e-6)
    # T = 2: softmax(log(p) / 2) is proportional to sqrt(p)
    ps = np.sqrt([[0.5, 0.5], [0.9, 0.1]])
    qs = np.sqrt([[0.25, 0.75], [0.5, 0.5]])
    ps, qs = ps / ps.sum(1, keepdims=True), qs / qs.sum(1, keepdims=True)
    assert kl_divergence(p, q, temperature=2.0) == pytest.approx(np.mean(np.sum(ps * np.log(ps / qs), 1)), rel=1e-6)
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    assert math.isfinite(kl_divergence(big, -big))
    with pytest.raises(ValueError, match="temperature"):
        kl_divergence(p, q, temperature=0.0)


def test_mutual_information_of_identical_labels_is_their_entropy():
    a = torch.tensor([0, 0, 1, 2, 2, 2, 3, 1, 0, 2])
    counts = np.array([3, 2, 4, 1]) / 10
    assert entropy_of_labels(a) == pytest.approx(-np.sum(counts * np.log(counts)), rel=1e-12)
    assert mutual_information(a, a) == pytest.approx(entropy_of_labels(a), rel=1e-12)
    assert entropy_of_labels(torch.tensor([0, 0, 1, 1])) == pytest.approx(math.log(2))


def test_mutual_information_of_a_full_cross_product_is_zero():
    a = torch.arange(3).repeat_interleave(4)  # 0 0 0 0 1 1 1 1 2 2 2 2
    b = torch.arange(4).repeat(3)  # 0 1 2 3 0 1 2 3 ...: every pair once
    assert mutual_information(a, b) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information(a, b, num_classes=10) == pytest.approx(0.0, abs=1e-12)


def test_mutual_information_matches_scikit_learn_and_ignores_label_names():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 7, 500)
    b = np.where(rng.random(500) < 0.6, a, rng.integers(0, 7, 500))  # dependent
    ours = mutual_information(torch.from_numpy(a), torch.from_numpy(b))
    np.testing.assert_allclose(ours, mutual_info_score(a, b), rtol=1e-9)
    assert ours > 0.3
    relabel = torch.from_numpy(rng.permutation(7))
    assert mutual_information(relabel[torch.from_numpy(a)], torch.from_numpy(b)) == pytest.approx(ours, rel=1e-12)
    with pytest.raises(ValueError, match="below num_classes"):
        mutual_information(torch.from_numpy(a), torch.from_numpy(b), num_classes=3)
    with pytest.raises(ValueError, match="integer"):
        mutual_information(torch.rand(5), torch.rand(5))


def test_knn_mutual_information_runs_and_is_deterministic_for_a_seed():
    rng = np.random.default_rng(1)
    a = torch.from_numpy(rng.integers(0, 5, 200))
    b = torch.where(torch.from_numpy(rng.random(200) < 0.7), a, torch.from_numpy(rng.integers(0, 5, 200)))
    first = mutual_information_knn(a, b, seed=0)
    assert isinstance(first, float) and math.isfinite(first) and first >= 0
    assert mutual_information_knn(a, b, seed=0) == first


# ----------------------------------------------------------------------------- entropy, calibration, accuracy


def test_mean_entropy_of_uniform_and_certain_logits():
    assert mean_entropy(torch.zeros(3, 10)) == pytest.approx(math.log(10), rel=1e-12)
    assert mean_entropy(torch.tensor([[1e4, 0.0, 0.0]])) == pytest.approx(0.0, abs=1e-12)
    p = np.array([0.7, 0.2, 0.1])
    assert mean_entropy(torch.tensor(np.log(p))[None]) == pytest.approx(-np.sum(p * np.log(p)), rel=1e-9)


def test_expected_calibration_error_hand_computed():
    probs = torch.tensor(
        [
            [0.35, 0.33, 0.32],  # bin [0.3, 0.4), wrong
            [0.55, 0.25, 0.20],  # bin [0.5, 0.6), right
            [0.65, 0.20, 0.15],  # bin [0.6, 0.7), wrong
            [0.03, 0.95, 0.02],  # bin [0.9, 1.0), right
            [0.02, 0.03, 0.95],  # bin [0.9, 1.0), right
        ]
    )
    labels = torch.tensor([1, 0, 2, 1, 2])
    hand = (0.35 + 0.45 + 0.65) / 5 + 2 / 5 * 0.05
    assert expected_calibration_error(probs.log(), labels, bins=10) == pytest.approx(hand, abs=1e-6)


def test_expected_calibration_error_softmaxes_logits_inside_the_unit_interval():
    logits = torch.tensor([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]])  # torchmetrics alone would read these as probabilities
    conf = torch.softmax(logits.double(), 1).max(1).values.numpy()
    assert (np.floor(conf * 10) == 5).all()  # 0.539 and 0.500: one bin, image 0 right, image 1 wrong
    hand = abs(0.5 - conf.mean())  # about 0.02; read as probabilities, 0.5 * 0.1 + 0.5 * 0.8
    assert expected_calibration_error(logits, torch.tensor([0, 2])) == pytest.approx(hand, abs=1e-6)


def test_top1_and_affinity():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    assert top1(logits, torch.tensor([0, 1, 1, 1])) == 0.75
    assert affinity(0.6, 0.8) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="base accuracy"):
        affinity(0.5, 0.0)


def test_metrics_package_imports_no_heavy_dependencies(repo):
    code = (
        "import sys, kdgen.metrics; "
        "print(sorted(m for m in ('captum', 'torchmetrics', 'torchvision', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=repo / "workflow", capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
