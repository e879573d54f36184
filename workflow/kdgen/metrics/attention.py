"""Attention maps of classifiers and their overlap, as the lfkd study measures them.

The lfkd paper compares where a student and its teachers "look": each model's class activation map
(CAM, Zhou et al., CVPR 2016) or Grad-CAM (Selvaraju et al., ICCV 2017) is upsampled to the image,
min-max normalised per image, thresholded into a mask, and the masks of two models are compared by
their intersection over union pooled over all pixels of all images.

All maps here are (N, H, W) float tensors for images (N, 3, H, W) in [0, 1]; the models are zoo models
(:mod:`kdgen.models.zoo`), optionally wrapped in :class:`~kdgen.models.zoo.Normalized`. captum is
imported only when Grad-CAM is computed, so that importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from kdgen.models.zoo import cam_parts, feature_layer

CAM_MODES = ("sum", "pred", "true")


@contextmanager
def _evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """The model in eval mode (batch-norm running statistics, no dropout) for the block, its own mode
    restored afterwards, so that measuring a model does not change it."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def minmax_per_image(maps: torch.Tensor) -> torch.Tensor:
    """Each map of ``maps`` (N, H, W) rescaled to [0, 1] by its own minimum and maximum, so that one
    threshold means the same for every image and model. A constant map becomes all zeros (not NaN): it
    singles out no region. "Constant" allows for rounding: a map whose range is within 64 float epsilons
    of its largest magnitude counts as constant, since stretching rounding noise to [0, 1] would make
    an arbitrary mask (bilinear upsampling of a 1 x 1 feature map, e.g. MobileNetV2 on 16-px images,
    varies by about one epsilon)."""
    lo = maps.amin(dim=(1, 2), keepdim=True)
    span = maps.amax(dim=(1, 2), keepdim=True) - lo
    scale = maps.abs().amax(dim=(1, 2), keepdim=True)
    flat = span <= 64 * torch.finfo(maps.dtype).eps * scale
    return torch.where(flat, 0.0, (maps - lo) / torch.where(flat, torch.ones_like(span), span))


def upsample(maps: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Maps (N, h, w) bilinearly resized to ``size`` (align_corners=False), so that they lie on the image."""
    return F.interpolate(maps[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]


def class_activation_maps(
    model: nn.Module, images: torch.Tensor, mode: str = "sum", target: torch.Tensor | None = None
) -> torch.Tensor:
    """Raw class activation maps (N, h, w) at the resolution of the last feature map, before upsampling
    and normalisation (the part of :func:`cam` that depends on the model).

    The classifier is applied as a 1x1 convolution to the last feature map: the map of class k is
    ``sum_c W[k, c] F[:, c]``. The bias is left out: it shifts a map by a constant, which min-max
    normalisation removes anyway. Then the spatial mean of the class-k map plus ``b[k]`` is the logit of
    class k. ``mode`` picks the map: ``"sum"`` summed over all classes (the lfkd paper's main
    definition), ``"pred"`` the model's predicted class, ``"true"`` class ``target[i]`` of each image
    (a label tensor (N,), required for this mode only). Runs in eval mode without gradients.
    """
    if mode not in CAM_MODES:
        raise ValueError(f"unknown CAM mode {mode!r}; expected one of {CAM_MODES}")
    if mode == "true" and target is None:
        raise ValueError("CAM mode 'true' needs the labels: pass target (a LongTensor of shape (N,))")
    if mode != "true" and target is not None:
        raise ValueError(f"target is only used with CAM mode 'true', not {mode!r}")
    with _evaluating(model), torch.no_grad():
        features, weight, bias = cam_parts(model, images)
        if mode == "sum":
            return torch.einsum("c,nchw->nhw", weight.sum(dim=0), features)
        if mode == "pred":
            # the logits from the same parts (equal to model(images) in eval mode), not a second forward pass
            target = (features.mean(dim=(2, 3)) @ weight.T + bias).argmax(dim=1)
        target = torch.as_tensor(target, device=features.device).long()
        if target.shape != (features.shape[0],):
            raise ValueError(f"target must have shape ({features.shape[0]},), got {tuple(target.shape)}")
        return torch.einsum("nc,nchw->nhw", weight[target], features)


def cam(model: nn.Module, images: torch.Tensor, mode: str = "sum", target: torch.Tensor | None = None) -> torch.Tensor:
    """Class activation maps (N, H, W) of ``images`` (N, 3, H, W) in [0, 1], as the lfkd paper defines
    them: :func:`class_activation_maps` (see there for ``mode`` and ``target``; bias excluded), upsampled
    bilinearly to the image size and min-max normalised per image to [0, 1]."""
    raw = class_activation_maps(model, images, mode, target)
    return minmax_per_image(upsample(raw, tuple(images.shape[-2:])))


def gradcam(model: nn.Module, images: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Grad-CAM maps (N, H, W) of class ``target[i]`` for each image (N, 3, H, W) in [0, 1], computed by
    captum's ``LayerGradCam`` on the layer that outputs the last feature map (:func:`feature_layer`),
    with the ReLU of the Grad-CAM paper; upsampled bilinearly to the image size and min-max normalised
    per image. ``target`` is a LongTensor (N,): the labels, or the predicted classes for the predicted-
    class maps. A :class:`~kdgen.models.zoo.Normalized` model is attributed whole, so captum sees the
    model that takes [0, 1] images. Runs in eval mode; the model's parameters get no gradients.
    """
    from captum.attr import LayerGradCam

    target = torch.as_tensor(target, device=images.device).long()
    if target.shape != (images.shape[0],):
        raise ValueError(f"target must have shape ({images.shape[0]},), got {tuple(target.shape)}")
    with _evaluating(model), torch.enable_grad():
        attributions = LayerGradCam(model, feature_layer(model)).attribute(
            images, target=target, relu_attributions=True
        )
    return minmax_per_image(upsample(attributions.detach()[:, 0], tuple(images.shape[-2:])))


def attention_masks(maps: torch.Tensor, threshold: float = 0.4) -> torch.Tensor:
    """Boolean masks of the pixels where normalised maps exceed ``threshold`` (the lfkd paper uses 0.4)."""
    return maps > threshold


def _check_masks(*masks: torch.Tensor) -> None:
    for m in masks:
        if m.dtype != torch.bool:
            raise ValueError(f"masks must be bool tensors (see attention_masks), got {m.dtype}")
        if m.numel() == 0:
            raise ValueError("masks are empty")


def pooled_iou(a: torch.Tensor, b: torch.Tensor) -> float:
    """Intersection over union of two bool masks of equal shape, pooled over all pixels of all images
    (one ratio of sums, not a mean of per-image ratios, so images with small masks weigh less). Two
    empty masks agree perfectly: 1.0."""
    if a.shape != b.shape:
        raise ValueError(f"mask shape mismatch: {tuple(a.shape)} vs {tuple(b.shape)}")
    _check_masks(a, b)
    union = (a | b).sum().item()
    return 1.0 if union == 0 else (a & b).sum().item() / union


def coverage(masks: torch.Tensor) -> float:
    """Fraction of all pixels that the bool masks cover. Reported beside the IoU because the IoU of
    broad masks (the class-summed CAM covers much of each image) is dominated by their coverage."""
    _check_masks(masks)
    return masks.sum().item() / masks.numel()
