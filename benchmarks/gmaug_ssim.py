"""gmaug SSIM budget: batched SSIM of 32x32 greyscale pairs against scikit-image's loop.

    PYTHONPATH=workflow python benchmarks/gmaug_ssim.py [--pairs 20000] [--threads 2]

Makes a pool of 32x32 grey uint8 images (random square crops of scikit-image's sample photographs,
prepared as SSIM-supSubCls prepares them) and random pairs of it; times
``skimage.metrics.structural_similarity`` called in a Python loop on the first ``--reference`` pairs and
``kdgen.metrics.ssim.ssim_pairs`` on all of them (its default fast path, then its float64 path), each the
best of ``--repeats`` runs, and prints pairs/s, ms/pair, the speed ratio per pair (target: 10x) and the
largest difference from scikit-image on the pairs both computed.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from skimage import data
from skimage.metrics import structural_similarity

from kdgen.metrics.ssim import ssim_pairs
from kdgen.metrics.ssim_sets import prepare
from kdgen.runtime import cpu_model

PHOTOS = ("camera", "astronaut", "coffee", "chelsea", "coins", "moon", "rocket", "brick", "grass", "gravel", "clock")


def image_pool(n: int, seed: int) -> np.ndarray:
    """``n`` 32x32 grey uint8 images: random square crops (side 48 to 192) of the sample photographs,
    made grey, centre-cropped and resized by :func:`prepare`."""
    rng = np.random.default_rng(seed)
    photos = [getattr(data, name)() for name in PHOTOS]
    out = np.empty((n, 32, 32), dtype=np.uint8)
    for k in range(n):
        photo = photos[rng.integers(len(photos))]
        side = int(rng.integers(48, min(193, *photo.shape[:2])))
        i, j = rng.integers(0, photo.shape[0] - side + 1), rng.integers(0, photo.shape[1] - side + 1)
        crop = photo[None, i : i + side, j : j + side]
        out[k] = prepare(crop if crop.ndim == 4 else crop[..., None], resolution=32, colour="grey", crop="centre")[0]
    return out


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` timed calls of ``fn`` (the least disturbed by other processes)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=20000)
    parser.add_argument("--reference", type=int, default=500, help="pairs timed with scikit-image")
    parser.add_argument("--images", type=int, default=4000, help="size of the image pool the pairs draw from")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    images = image_pool(args.images, seed=1)
    first = rng.integers(0, args.images, args.pairs)
    pairs = np.stack([first, (first + rng.integers(1, args.images, args.pairs)) % args.images], axis=1)  # i != j
    m = min(args.reference, args.pairs)

    def reference() -> np.ndarray:
        return np.array([structural_similarity(images[i], images[j], data_range=255) for i, j in pairs[:m]])

    ref = reference()
    ours = ssim_pairs(images, pairs)
    t_ref = best_seconds(reference, args.repeats) / m
    t_fast = best_seconds(lambda: ssim_pairs(images, pairs), args.repeats) / args.pairs
    t_f64 = best_seconds(lambda: ssim_pairs(images, pairs, precision="float64"), args.repeats) / args.pairs
    diff = float(np.abs(ours[:m] - ref).max())
    print(
        f"{args.pairs} pairs of 32x32 grey uint8 images (crops of scikit-image's photographs, a pool of {args.images})"
    )
    print(f"{cpu_model()}, {args.threads} torch threads, torch {torch.__version__}, best of {args.repeats} runs")
    print(f"scikit-image structural_similarity loop ({m} pairs)  {1 / t_ref:10.0f} pairs/s  {t_ref * 1e3:8.4f} ms/pair")
    print(f"ours, ssim_pairs (exact float32 sums)          {1 / t_fast:10.0f} pairs/s  {t_fast * 1e3:8.4f} ms/pair")
    print(f"ours, ssim_pairs precision='float64'           {1 / t_f64:10.0f} pairs/s  {t_f64 * 1e3:8.4f} ms/pair")
    print(f"  speed ratio per pair {t_ref / t_fast:.1f}x (float64 path {t_ref / t_f64:.1f}x; target >= 10x)")
    print(f"  max |ours - scikit-image| over the {m} common pairs: {diff:.2e} (bound 1e-5)")


if __name__ == "__main__":
    main()
