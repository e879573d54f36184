"""Batched torch metrics, each checked against a reference implementation in the tests."""

from kdgen.metrics.intrinsic_dimension import intrinsic_dimension, mle_intrinsic_dimension
from kdgen.metrics.neighbours import knn_distances
from kdgen.metrics.ssim import ssim

__all__ = ["intrinsic_dimension", "knn_distances", "mle_intrinsic_dimension", "ssim"]
