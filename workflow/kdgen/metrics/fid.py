"""FID and KID (torchmetrics) with an injectable feature extractor.

Inception-v3 (torch-fidelity's, as torchmetrics uses it) when a local weights file is given; otherwise
the penultimate features of a classifier trained by the workflow on the same data. The two give
numbers on different scales: every table and figure names the extractor (:func:`extractor_label`).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class ClassifierFeatures(nn.Module):
    """Penultimate-layer features of a trained classifier, for uint8 images of any size.

    The classifier takes images in [0, 1] at ``image_size``; features are the input of its last
    linear layer (the pooled representation).
    """

    def __init__(self, classifier: nn.Module, image_size: int) -> None:
        super().__init__()
        self.classifier = classifier.eval().requires_grad_(False)
        self.image_size = image_size
        linears = [m for m in classifier.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError("the classifier has no linear layer to take features from")
        self.head = linears[-1]
        self.num_features = self.head.in_features
        self._captured: torch.Tensor | None = None
        self.head.register_forward_hook(self._capture)

    def _capture(self, module: nn.Module, args: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        self._captured = args[0]

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[-1] != self.image_size:
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", antialias=True, align_corners=False)
        self.classifier(x)
        return self._captured.flatten(1).double()


class InceptionFeatures(nn.Module):
    """The 2048 pool features of torch-fidelity's Inception-v3 (as torchmetrics' FID uses it), from a
    local weights file; uint8 images of any size (resized to 299 inside)."""

    def __init__(self, weights_path: str) -> None:
        super().__init__()
        from torchmetrics.image.fid import NoTrainInceptionV3

        self.net = NoTrainInceptionV3(name="inception-v3-compat", features_list=["2048"], feature_extractor_weights_path=weights_path)
        self.num_features = 2048

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = images if images.shape[1] == 3 else images.expand(-1, 3, -1, -1)
        return self.net(x.to(torch.uint8)).flatten(1).double()


def load_features(inception_weights: str | None, classifier_path: str | None) -> nn.Module:
    """The injectable extractor: Inception-v3 when its weights file is given, else the classifier's features."""
    if inception_weights:
        return InceptionFeatures(inception_weights)
    if not classifier_path:
        raise ValueError("give a feature extractor: an Inception weights file or a trained classifier")
    from kdgen.train.classifier import load_classifier

    model, ckpt = load_classifier(classifier_path)
    return ClassifierFeatures(model, ckpt["meta"]["image_size"])


@torch.no_grad()
def extract_features(features: nn.Module, images: np.ndarray, batch: int = 256) -> torch.Tensor:
    """Feature rows (float64) of uint8 images (N, H, W, C), in batches."""
    from kdgen.train.trainer import as_rgb_batch

    x = as_rgb_batch(images)
    return torch.cat([features(x[start : start + batch]) for start in range(0, len(x), batch)])


def extractor_label(inception_weights: str | None, classifier_arch: str | None = None) -> str:
    if inception_weights:
        return "Inception-v3 (torch-fidelity weights)"
    return f"workflow-trained {classifier_arch} classifier features (not Inception)"


def fid_kid(
    real: np.ndarray,
    fake: np.ndarray,
    features: nn.Module | None = None,
    inception_weights: str | None = None,
    batch: int = 256,
    kid_subset: int = 100,
) -> dict[str, float]:
    """FID and KID (mean, std) between uint8 image sets (N, H, W, C) through torchmetrics."""
    return fid_kid_many(real, [fake], features, inception_weights, batch, kid_subset)[0]


class _OncePerBatch(nn.Module):
    """A feature extractor that computes the features of a batch once when two metrics ask for the same
    batch tensor in a row (the cache holds only the last batch)."""

    def __init__(self, features: nn.Module) -> None:
        super().__init__()
        self.features = features
        self.num_features = features.num_features
        self._last: tuple[torch.Tensor | None, torch.Tensor | None] = (None, None)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self._last[0] is not images:
            self._last = (images, self.features(images))
        return self._last[1]


def fid_kid_many(
    real: np.ndarray,
    fakes: list[np.ndarray],
    features: nn.Module | None = None,
    inception_weights: str | None = None,
    batch: int = 256,
    kid_subset: int = 100,
    seed: int = 0,
) -> list[dict[str, float]]:
    """:func:`fid_kid` of several fake sets against one real set, whose features are extracted once.

    KID's random subsets are drawn from ``seed`` for every fake set, so a set's scores do not depend on
    the others.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    from kdgen.train.trainer import as_rgb_batch

    subset = max(2, min([kid_subset, len(real), *map(len, fakes)]))
    keep = {"reset_real_features": False}
    if inception_weights:
        fid = FrechetInceptionDistance(feature=2048, feature_extractor_weights_path=inception_weights, **keep)
        kid = KernelInceptionDistance(feature=2048, subset_size=subset, feature_extractor_weights_path=inception_weights, **keep)
    elif features is not None:
        once = _OncePerBatch(features)  # FID and KID update with the same batch: extract its features once
        fid = FrechetInceptionDistance(feature=once, **keep)
        kid = KernelInceptionDistance(feature=once, subset_size=subset, **keep)
    else:
        raise ValueError("give a feature extractor or an Inception weights file")

    def update(images: np.ndarray, is_real: bool) -> None:
        x = as_rgb_batch(images)
        for start in range(0, len(x), batch):
            chunk = x[start : start + batch]
            fid.update(chunk, real=is_real)
            kid.update(chunk, real=is_real)

    update(real, True)
    results = []
    for fake in fakes:
        fid.reset(), kid.reset()  # drops the fake features only
        update(fake, False)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            kid_mean, kid_std = kid.compute()
        results.append({"fid": float(fid.compute()), "kid": float(kid_mean), "kid_std": float(kid_std)})
    return results
