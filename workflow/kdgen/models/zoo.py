"""Classifiers by name.

- ``resnet{8,14,20,32,44,56,110}``, ``resnet8x4``, ``resnet32x4``: CIFAR-style ResNets (three stages of
  basic blocks, 16/32/64 channels; the ``x4`` variants 64/128/256 after a 32-channel stem), as used
  throughout the knowledge-distillation literature (CRD, mdistiller).
- ``wrn_<depth>_<width>``: wide ResNets with pre-activation blocks (Zagoruyko and Komodakis).
- ``mobilenetv2``, ``shufflenetv2``: torchvision's MobileNetV2 (width 0.5) and ShuffleNetV2 (x1.0) with
  a CIFAR stem (stride-1 first convolution, no max-pool) for inputs of 64 px or less.
- ``resnet18``, ``resnet50``: torchvision's, with a CIFAR stem (3x3 stride-1 conv, no max-pool) for
  inputs of 64 px or less; ImageNet weights from a local file when the config names one.
- ``tiny``: a two-convolution net for smoke runs.

Every model of the zoo ends in global average pooling of its last feature map and one linear layer,
so ``logits = W @ mean_hw(F(x)) + b``. :func:`cam_parts` returns ``F(x)`` (N, C, h, w) and ``W`` (K, C),
``b`` (K,) for any of them (and for a :class:`Normalized` wrapper): the class activation map of class k
is ``sum_c W[k, c] F(x)[:, c]`` (Zhou et al., CVPR 2016).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import nn

from kdgen.models.architectures import CIFAR_DEPTHS, WRN, architecture_problem
from kdgen.runtime import load_torch_file

#: Parameter counts (millions) published for 100 classes (CRD, Tian et al., ICLR 2020, table 1-2).
PUBLISHED_PARAMS_M = {
    "resnet8x4": 1.23,
    "resnet32x4": 7.43,
    "wrn_40_2": 2.26,
    "wrn_16_2": 0.70,
    "wrn_40_1": 0.57,
    "resnet56": 0.86,
    "resnet110": 1.74,
    "resnet20": 0.28,
    "mobilenetv2": 0.81,
    "shufflenetv2": 1.36,
    "resnet50": 23.71,
}


class ModelError(ValueError):
    """An unknown architecture, or weights that cannot be loaded."""


# ----------------------------------------------------------------------------- CIFAR ResNets


def _stages(block: type[nn.Module], widths: tuple[int, ...] | list[int], n: int) -> tuple[nn.Sequential, int]:
    """Three (or more) stages of ``n`` blocks after a stem of ``widths[0]`` channels; every stage but
    the first halves the resolution in its first block. Returns the blocks and the output width."""
    blocks, in_planes = [], widths[0]
    for stage, planes in enumerate(widths[1:]):
        for i in range(n):
            blocks.append(block(in_planes, planes, 2 if (stage > 0 and i == 0) else 1))
            in_planes = planes
    return nn.Sequential(*blocks), in_planes


def _kaiming_init(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


class BasicBlock(nn.Module):
    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class CifarResNet(nn.Module):
    """ResNet for small images: stem, three stages of ``(depth - 2) / 6`` basic blocks, pooling, linear."""

    def __init__(self, depth: int, widths: tuple[int, int, int, int], num_classes: int) -> None:
        super().__init__()
        if (depth - 2) % 6:
            raise ModelError(f"CIFAR ResNet depth must be 6n+2, got {depth}")
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.layers, out_planes = _stages(BasicBlock, widths, n)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(out_planes, num_classes)
        _kaiming_init(self)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(torch.relu(self.bn1(self.conv1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.feature_map(x)), 1))


# ----------------------------------------------------------------------------- wide ResNets


class WideBlock(nn.Module):
    """Pre-activation basic block (BN-ReLU-conv twice), projection shortcut when the shape changes."""

    def __init__(self, in_planes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Conv2d(in_planes, planes, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pre = torch.relu(self.bn1(x))
        out = self.conv2(torch.relu(self.bn2(self.conv1(pre))))
        return out + (x if self.shortcut is None else self.shortcut(pre))


class WideResNet(nn.Module):
    def __init__(self, depth: int, width: int, num_classes: int) -> None:
        super().__init__()
        problem = architecture_problem(f"wrn_{depth}_{width}")
        if problem:
            raise ModelError(problem)
        n = (depth - 4) // 6
        widths = [16, 16 * width, 32 * width, 64 * width]
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.blocks, out_planes = _stages(WideBlock, widths, n)
        self.bn = nn.BatchNorm2d(out_planes)
        # a module (no parameters, so checkpoints are unchanged) rather than torch.relu: its output is the
        # last feature map, which layer attributions (Grad-CAM) hook; see feature_layer. Used once only.
        self.relu = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(out_planes, num_classes)
        _kaiming_init(self)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.bn(self.blocks(self.conv1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.feature_map(x)), 1))


# ----------------------------------------------------------------------------- small nets and torchvision


class TinyNet(nn.Module):
    """Two convolutions and a linear layer: for smoke runs only."""

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        )
        self.fc = nn.Linear(32, num_classes)

    def feature_map(self, x: torch.Tensor) -> torch.Tensor:
        return self.features[:-1](x)  # all but the global pooling

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.features(x), 1))


def _torchvision_resnet(name: str, num_classes: int, image_size: int) -> nn.Module:
    import torchvision

    model = getattr(torchvision.models, name)(weights=None, num_classes=num_classes)
    if image_size <= 64:
        model.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        model.maxpool = nn.Identity()
    return model


def _mobilenetv2(num_classes: int, image_size: int) -> nn.Module:
    import torchvision

    model = torchvision.models.mobilenet_v2(weights=None, num_classes=num_classes, width_mult=0.5)
    if image_size <= 64:
        model.features[0][0].stride = (1, 1)
    return model


def _shufflenetv2(num_classes: int, image_size: int) -> nn.Module:
    import torchvision

    model = torchvision.models.shufflenet_v2_x1_0(weights=None, num_classes=num_classes)
    if image_size <= 64:
        model.conv1[0].stride = (1, 1)
        model.maxpool = nn.Identity()
    return model


ARCHITECTURES: dict[str, Callable[[int, int], nn.Module]] = {
    **{f"resnet{d}": (lambda d: lambda c, s: CifarResNet(d, (16, 16, 32, 64), c))(d) for d in CIFAR_DEPTHS},
    "resnet8x4": lambda c, s: CifarResNet(8, (32, 64, 128, 256), c),
    "resnet32x4": lambda c, s: CifarResNet(32, (32, 64, 128, 256), c),
    "mobilenetv2": _mobilenetv2,
    "shufflenetv2": _shufflenetv2,
    "resnet18": lambda c, s: _torchvision_resnet("resnet18", c, s),
    "resnet50": lambda c, s: _torchvision_resnet("resnet50", c, s),
    "tiny": lambda c, s: TinyNet(c),
}

# ----------------------------------------------------------------------------- input standardisation


class Normalized(nn.Module):
    """A classifier that takes images in [0, 1] and standardises them with stored channel statistics."""

    def __init__(self, backbone: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.backbone = backbone
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(self.standardize(x))


# ----------------------------------------------------------------------------- class activation maps


def feature_map(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The last feature map (N, C, h, w) of a zoo model, the tensor its global pooling averages."""
    import torchvision

    if isinstance(model, Normalized):
        return feature_map(model.backbone, model.standardize(x))
    if isinstance(model, (CifarResNet, WideResNet, TinyNet)):
        return model.feature_map(x)
    if isinstance(model, torchvision.models.ResNet):
        x = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        return model.layer4(model.layer3(model.layer2(model.layer1(x))))
    if isinstance(model, torchvision.models.MobileNetV2):
        return model.features(x)
    if isinstance(model, torchvision.models.ShuffleNetV2):
        x = model.stage4(model.stage3(model.stage2(model.maxpool(model.conv1(x)))))
        return model.conv5(x)
    raise ModelError(f"no feature-map accessor for {type(model).__name__}; add one to kdgen.models.zoo.feature_map")


def feature_layer(model: nn.Module) -> nn.Module:
    """The submodule of a zoo model whose output is :func:`feature_map` (its last feature map), for a
    :class:`Normalized` wrapper its backbone's. Layer attributions such as Grad-CAM (captum's
    ``LayerGradCam``) hook this module's output, so it must be produced by exactly one call of it."""
    import torchvision

    if isinstance(model, Normalized):
        return feature_layer(model.backbone)
    if isinstance(model, CifarResNet):
        return model.layers
    if isinstance(model, WideResNet):
        return model.relu
    if isinstance(model, TinyNet):
        return model.features[-2]  # the ReLU before the global pooling
    if isinstance(model, torchvision.models.ResNet):
        return model.layer4
    if isinstance(model, torchvision.models.MobileNetV2):
        return model.features
    if isinstance(model, torchvision.models.ShuffleNetV2):
        return model.conv5
    raise ModelError(f"no feature layer known for {type(model).__name__}; add one to kdgen.models.zoo.feature_layer")


def classifier_layer(model: nn.Module) -> nn.Linear:
    """The linear layer that maps a zoo model's pooled last feature map to its logits."""
    if isinstance(model, Normalized):
        return classifier_layer(model.backbone)
    head = getattr(model, "fc", None)
    if head is None and isinstance(getattr(model, "classifier", None), nn.Sequential):
        head = model.classifier[-1]  # MobileNetV2: dropout, linear
    if not isinstance(head, nn.Linear):
        raise ModelError(f"no linear classifier found on {type(model).__name__}")
    return head


def cam_parts(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(features (N, C, h, w), weight (K, C), bias (K,))`` of a zoo model on ``x``; in eval mode
    ``model(x) == features.mean((2, 3)) @ weight.T + bias``."""
    head = classifier_layer(model)
    bias = head.bias if head.bias is not None else torch.zeros(head.out_features, device=head.weight.device)
    return feature_map(model, x), head.weight, bias


def load_pretrained(model: nn.Module, path: str | Path) -> list[str]:
    """Load ImageNet weights from a local state-dict file; tensors whose shape differs (the classifier,
    an adapted stem) are skipped. Returns the names of the skipped tensors."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(
            f"pretrained weights file {path} not found: download the torchvision ImageNet weights for this "
            "architecture to that path, or remove the entry from models.weights in the config"
        )
    state = load_torch_file(path, fix="download the weights file again; it is not the workflow's to rebuild")
    own = model.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    skipped = sorted(set(own) - set(usable))
    if len(usable) < len(own) // 2:
        raise ModelError(f"{path} does not fit this architecture: only {len(usable)} of {len(own)} tensors match")
    model.load_state_dict(usable, strict=False)
    return skipped


def build_model(name: str, num_classes: int, image_size: int = 32, weights: str | Path | None = None) -> nn.Module:
    """A classifier by config name, for 3-channel ``image_size`` inputs and ``num_classes`` outputs."""
    problem = architecture_problem(name)
    if problem:
        raise ModelError(problem)
    match = WRN.fullmatch(name)
    if match:
        model: nn.Module = WideResNet(int(match.group(1)), int(match.group(2)), num_classes)
    else:
        model = ARCHITECTURES[name](num_classes, image_size)
    if weights is not None:
        if name not in ("resnet18", "resnet50"):
            raise ModelError(f"pretrained weights are supported for resnet18 and resnet50, not {name}")
        load_pretrained(model, weights)
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
