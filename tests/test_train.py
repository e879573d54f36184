"""Training core: model zoo, augmentation policies, the trainer (determinism, resume, hooks)."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch
from torch import nn

from kdgen.data import synthetic
from kdgen.models import PUBLISHED_PARAMS_M, ModelError, build_model, count_parameters
from kdgen.train.augment import Augmentation, AugmentationError
from kdgen.train.classifier import SplitData, build_classifier, classifier_meta, load_classifier, save_outputs
from kdgen.train.trainer import CrossEntropy, TrainConfig, evaluate, fit, lr_factor

POLICIES = ["base", "weak", "strong", "randaugment-2-9", "ladder-0", "ladder-5"]


# ----------------------------------------------------------------------------- models


@pytest.mark.parametrize("name", sorted(PUBLISHED_PARAMS_M))
def test_parameter_counts_match_the_published_ones(name):
    millions = count_parameters(build_model(name, 100, 32)) / 1e6
    assert millions == pytest.approx(PUBLISHED_PARAMS_M[name], rel=0.01)


@pytest.mark.parametrize("name,size", [("resnet8", 32), ("resnet14", 32), ("wrn_16_1", 32), ("mobilenetv2", 32), ("shufflenetv2", 32), ("resnet18", 32), ("resnet18", 96), ("tiny", 16)])
def test_models_map_images_to_logits(name, size):
    model = build_model(name, 7, size).eval()
    assert model(torch.rand(2, 3, size, size)).shape == (2, 7)


def test_torchvision_resnet_stem_follows_the_input_size():
    assert build_model("resnet18", 10, 32).conv1.kernel_size == (3, 3)
    assert build_model("resnet18", 10, 128).conv1.kernel_size == (7, 7)


def test_unknown_architecture_and_missing_weights_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="unknown architecture 'resnet9'"):
        build_model("resnet9", 10)
    with pytest.raises(ModelError, match="not found"):
        build_model("resnet18", 10, 32, weights=tmp_path / "missing.pth")


def test_imagenet_weights_load_from_a_local_file(tmp_path):
    import torchvision

    imagenet = torchvision.models.resnet18(weights=None)
    torch.save(imagenet.state_dict(), tmp_path / "r18.pth")
    model = build_model("resnet18", 10, 32, weights=tmp_path / "r18.pth")
    assert torch.equal(model.layer3[0].conv1.weight, imagenet.layer3[0].conv1.weight)
    assert not torch.equal(model.conv1.weight[:, :, :3, :3], imagenet.conv1.weight[:, :, :3, :3])  # adapted stem: not loaded
    with pytest.raises(ModelError, match="resnet18 and resnet50"):
        build_model("resnet8", 10, 32, weights=tmp_path / "r18.pth")


# ----------------------------------------------------------------------------- augmentation


@pytest.fixture(scope="module")
def batch():
    fields = synthetic.canonical_fields(["triangle.n.01", "circle.n.01"], ["a", "b"])
    images = synthetic.render(synthetic.balanced_labels(2, 8), fields, list(synthetic.FACTORS), 32, seed=0)
    return torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()


@pytest.mark.parametrize("name", POLICIES)
def test_policies_keep_shape_dtype_range_and_change_images(batch, name):
    aug = Augmentation(name, 32)
    out = aug(batch, seed=1)
    assert out.shape == batch.shape and out.dtype == torch.uint8
    assert int(out.min()) >= 0 and int(out.max()) <= 255
    changed = (out != batch).flatten(1).any(1)
    assert bool(changed.all()), f"{name} left {int((~changed).sum())} images unchanged"
    assert torch.equal(out, aug(batch, seed=1))
    assert not torch.equal(out, aug(batch, seed=2))
    # each image gets its own draw: two copies of one image come out different
    twins = aug(batch[:1].repeat(2, 1, 1, 1), seed=3)
    assert not torch.equal(twins[0], twins[1])


def test_none_policy_is_the_identity_and_bad_names_fail(batch):
    assert torch.equal(Augmentation("none", 32)(batch, 0), batch)
    for bad in ("medium", "randaugment-2-31", "ladder-11"):
        with pytest.raises(AugmentationError):
            Augmentation(bad, 32)


# ----------------------------------------------------------------------------- trainer

CFG = dict(epochs=3, batch_size=32, lr=0.05, warmup_epochs=1, eval_batch_size=256)


def _data(per_class=60, size=16, factors=("position", "scale", "colour"), seed=0):
    classes = ["triangle.n.01", "square.n.01", "circle.n.01", "star.n.05"]
    fields = synthetic.canonical_fields(classes, classes)
    labels = synthetic.balanced_labels(len(classes), per_class)
    images = synthetic.render(labels, fields, list(factors), size, seed)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(labels)
    val = torch.arange(len(y)) % 5 == 0
    return SplitData((x[~val], y[~val]), (x[val], y[val]), (x[val], y[val]), len(classes), size)


def test_lr_schedule_warms_up_then_decays():
    cfg = TrainConfig(epochs=10, warmup_epochs=2)
    assert lr_factor(0, 10, cfg) == pytest.approx(0.05)
    assert lr_factor(19, 10, cfg) == pytest.approx(1.0)
    assert lr_factor(20, 10, cfg) == pytest.approx(1.0) and lr_factor(99, 10, cfg) < 0.01
    step = TrainConfig(epochs=10, schedule="step", milestones=[0.5, 0.8], gamma=0.1)
    assert [lr_factor(e * 10, 10, step) for e in (4, 5, 8)] == pytest.approx([1.0, 0.1, 0.01])


def test_training_is_deterministic_and_learns(tmp_path):
    torch.set_num_threads(1)
    data = _data()
    runs = []
    for i in range(2):
        model = build_classifier("tiny", data)
        result = fit(model, *data.train, *data.val, TrainConfig(**CFG, augmentation="weak"), tmp_path / f"s{i}", progress=False, log=lambda s: None)
        runs.append((result, model))
    assert runs[0][0].history == runs[1][0].history
    for a, b in zip(runs[0][1].state_dict().values(), runs[1][1].state_dict().values()):
        assert torch.equal(a, b)
    other = fit(build_classifier("tiny", data, seed=1), *data.train, *data.val, TrainConfig(**CFG, augmentation="weak", seed=1), tmp_path / "s2", progress=False, log=lambda s: None)
    assert other.history != runs[0][0].history
    assert set(runs[0][0].history[0]) >= {"train_loss", "train_top1", "train_ce", "val_loss", "val_top1", "val_top5", "lr"}


def test_one_epoch_on_synthetic_data_beats_chance(tmp_path):
    torch.set_num_threads(1)  # 2 threads on a loaded 2-core machine ran this 40x slower
    data = _data(per_class=200, size=24, factors=("scale", "rotation"))
    model = build_classifier("resnet8", data)
    cfg = TrainConfig(epochs=1, batch_size=16, optimizer="adamw", lr=0.003, weight_decay=0.0)
    result = fit(model, *data.train, *data.val, cfg, tmp_path, progress=False, log=lambda s: None)
    chance = 100.0 / data.num_classes
    assert result.history[0]["val_top1"] > chance + 25, result.history


def test_extra_loss_terms_and_frozen_models_plug_in(tmp_path):
    data = _data(per_class=20)
    teacher = build_classifier("tiny", data)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}

    class WithPenalty:
        def __init__(self, frozen: nn.Module):
            self.frozen = frozen
            self.base = CrossEntropy()

        def __call__(self, model, images, labels, context):
            logits, losses = self.base(model, images, labels, context)
            assert not self.frozen.training
            with torch.no_grad():
                target = self.frozen(images)
            return logits, {**losses, "match": 0.1 * (logits - target).pow(2).mean()}

    result = fit(build_classifier("tiny", data), *data.train, *data.val, TrainConfig(epochs=1, batch_size=16), tmp_path, method=WithPenalty(teacher), frozen=[teacher], progress=False, log=lambda s: None)
    row = result.history[0]
    assert row["train_loss"] == pytest.approx(row["train_ce"] + row["train_match"], rel=1e-6)
    for k, v in teacher.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_bf16_autocast_trains_on_cpu(tmp_path):
    data = _data(per_class=20)
    result = fit(build_classifier("tiny", data), *data.train, *data.val, TrainConfig(epochs=1, batch_size=16, precision="bf16", channels_last=True), tmp_path, progress=False, log=lambda s: None)
    assert np.isfinite(result.history[0]["train_loss"]) and np.isfinite(result.history[0]["val_loss"])


def test_checkpoint_round_trip(tmp_path):
    data = _data(per_class=20)
    model = build_classifier("resnet8", data)
    result = fit(model, *data.train, *data.val, TrainConfig(epochs=2, batch_size=16), tmp_path / "state", progress=False, log=lambda s: None)
    save_outputs(model, result, classifier_meta("resnet8", data), tmp_path / "state", tmp_path / "best.pt", tmp_path / "last.pt", tmp_path / "m.csv")
    assert not (tmp_path / "state").exists()
    last, ckpt = load_classifier(tmp_path / "last.pt")
    x = data.val[0]
    with torch.no_grad():
        assert torch.equal(last(x.float() / 255), model.eval()(x.float() / 255))
    best, ckpt = load_classifier(tmp_path / "best.pt")
    assert ckpt["epoch"] == result.best_epoch
    assert evaluate(best, *data.val)["top1"] == pytest.approx(result.best_val_top1)


RESUME_SCRIPT = textwrap.dedent(
    """
    import json, sys, torch
    sys.path.insert(0, {tests!r})
    from test_train import _data
    from kdgen.train.classifier import build_classifier
    from kdgen.train.trainer import TrainConfig, fit
    torch.set_num_threads(1)
    data = _data(per_class=150, size=24)
    model = build_classifier("resnet8", data)
    cfg = TrainConfig(epochs=4, batch_size=16, lr=0.05, warmup_epochs=1, augmentation="weak")
    result = fit(model, *data.train, *data.val, cfg, sys.argv[1], progress=False, log=print)
    weights = {{k: v.double().sum().item() for k, v in model.state_dict().items()}}
    json.dump({{"history": result.history, "resumed_from": result.resumed_from, "weights": weights}}, open(sys.argv[2], "w"))
    """
)


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RESUME_SCRIPT.format(tests=os.path.dirname(__file__)))
    run = [sys.executable, str(script)]
    subprocess.run(run + [str(tmp_path / "a"), str(tmp_path / "a.json")], check=True, capture_output=True, timeout=600)
    proc = subprocess.Popen(run + [str(tmp_path / "b"), str(tmp_path / "b.json")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = tmp_path / "b" / "state.pt"
    deadline = time.time() + 300
    while not state.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # into the second epoch
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (tmp_path / "b.json").exists()
    subprocess.run(run + [str(tmp_path / "b"), str(tmp_path / "b.json")], check=True, capture_output=True, timeout=600)
    a, b = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    assert 1 <= b["resumed_from"] < 4 and a["resumed_from"] == 0
    assert a["history"] == b["history"]
    assert a["weights"] == b["weights"]
