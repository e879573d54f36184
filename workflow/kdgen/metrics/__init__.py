"""Batched torch metrics, each checked against a reference implementation in the tests.

Importing this package stays light (torch only): captum, torchmetrics, torchvision and scikit-learn
are imported inside the functions that need them.
"""

from kdgen.metrics.agreement import (
    affinity,
    entropy_of_labels,
    expected_calibration_error,
    fidelity,
    kl_divergence,
    mean_entropy,
    mean_logits,
    mutual_information,
    mutual_information_knn,
    top1,
    top1_agreement,
)
from kdgen.metrics.attention import (
    attention_masks,
    cam,
    class_activation_maps,
    coverage,
    gradcam,
    minmax_per_image,
    pooled_iou,
)
from kdgen.metrics.intrinsic_dimension import intrinsic_dimension, mle_intrinsic_dimension
from kdgen.metrics.neighbours import knn_distances
from kdgen.metrics.ssim import ssim

__all__ = [
    "affinity",
    "attention_masks",
    "cam",
    "class_activation_maps",
    "coverage",
    "entropy_of_labels",
    "expected_calibration_error",
    "fidelity",
    "gradcam",
    "intrinsic_dimension",
    "kl_divergence",
    "knn_distances",
    "mean_entropy",
    "mean_logits",
    "minmax_per_image",
    "mle_intrinsic_dimension",
    "mutual_information",
    "mutual_information_knn",
    "pooled_iou",
    "ssim",
    "top1",
    "top1_agreement",
]
