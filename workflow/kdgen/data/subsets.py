"""Seeded subsets of a dataset's training split.

- :func:`make_splits`: a stratified validation split held out from the source's train split; the
  source's test split stays untouched (nothing in the project selects on it).
- :func:`nested_order` / :func:`size_ladder`: a class-balanced order of the training split; every
  size of the ladder is a prefix of it, so each size is a superset of the smaller ones.
- :func:`long_tail_counts` / :func:`long_tail`: n_i = n_max * r^(-i/(C-1)) images of the i-th class.

All functions return sorted int64 indices into the dataset arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class SubsetError(ValueError):
    """A subset cannot be drawn from the data at hand."""


def _within_class_rank(labels: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random order of ``labels`` grouped by class, and each item's rank inside its class."""
    perm = rng.permutation(len(labels))
    grouped = perm[np.argsort(labels[perm], kind="stable")]
    sorted_labels = labels[grouped]
    starts = np.searchsorted(sorted_labels, sorted_labels, side="left")
    return grouped, np.arange(len(grouped)) - starts


def held_out_counts(counts: np.ndarray, fraction: float) -> np.ndarray:
    """How many items of each class :func:`stratified_holdout` holds out: ``round(fraction * n_c)``,
    at least one and never all of a class with two or more items (for a positive fraction)."""
    counts = np.asarray(counts, dtype=np.int64)
    n_held = np.rint(counts * fraction).astype(np.int64)
    if fraction > 0:
        n_held = np.where(counts >= 2, np.clip(n_held, 1, counts - 1), 0)
    return n_held


def stratified_holdout(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split positions 0..N-1 into (kept, held out), holding out ``round(fraction * n_c)`` of each class.

    Every class with at least two items keeps one and, for a positive fraction, holds out at least one.
    """
    if not 0.0 <= fraction < 1.0:
        raise SubsetError(f"holdout fraction must be in [0, 1), got {fraction}")
    labels = np.asarray(labels)
    grouped, rank = _within_class_rank(labels, np.random.default_rng(seed))
    counts = np.bincount(labels[grouped], minlength=labels.max() + 1 if len(labels) else 0)
    held = rank < held_out_counts(counts, fraction)[labels[grouped]]
    return np.sort(grouped[~held]), np.sort(grouped[held])


def make_splits(labels: np.ndarray, source_split: np.ndarray, val_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """``{"train", "val", "test"}`` indices: val is held out of the source's train split, stratified."""
    source_train = np.flatnonzero(source_split == 0)
    keep, held = stratified_holdout(labels[source_train], val_fraction, seed)
    return {
        "train": source_train[keep],
        "val": source_train[held],
        "test": np.flatnonzero(source_split == 1),
    }


def nested_order(labels: np.ndarray, pool: np.ndarray, seed: int) -> np.ndarray:
    """A class-balanced random order of ``pool``: round-robin over classes, each in random order.

    Any prefix has per-class counts that differ by at most one (until a class runs out).
    """
    rng = np.random.default_rng(seed)
    grouped, rank = _within_class_rank(labels[pool], rng)
    class_priority = rng.permutation(int(labels.max()) + 1)[labels[pool][grouped]]
    order = np.lexsort((class_priority, rank))
    return pool[grouped[order]]


def size_ladder(labels: np.ndarray, pool: np.ndarray, sizes: Sequence[int], seed: int) -> dict[int, np.ndarray]:
    """Nested subsets of ``pool``, one per size: each the first ``size`` items of :func:`nested_order`."""
    too_big = [s for s in sizes if s > len(pool)]
    if too_big:
        raise SubsetError(f"ladder sizes {too_big} exceed the {len(pool)} training images")
    order = nested_order(labels, pool, seed)
    return {int(s): np.sort(order[: int(s)]) for s in sizes}


def long_tail_counts(num_classes: int, n_max: int, ratio: float) -> np.ndarray:
    """n_i = floor(n_max * ratio^(-i/(C-1))) for i = 0..C-1, at least 1."""
    if ratio < 1:
        raise SubsetError(f"imbalance ratio must be >= 1, got {ratio}")
    i = np.arange(num_classes)
    exponent = -i / max(num_classes - 1, 1)
    return np.maximum(np.floor(n_max * np.power(float(ratio), exponent) + 1e-9), 1).astype(np.int64)


def long_tail(
    labels: np.ndarray,
    pool: np.ndarray,
    ratio: float,
    seed: int,
    n_max: int | None = None,
    class_order: Sequence[int] | None = None,
) -> np.ndarray:
    """A long-tailed subset of ``pool``: the class at position i of ``class_order`` keeps n_i items.

    ``n_max`` defaults to the smallest class count in the pool; ``class_order`` to 0..C-1. Items are
    the first n_i of a seeded per-class order, so subsets with the same seed are nested in ratio.
    """
    num_classes = int(labels.max()) + 1
    available = np.bincount(labels[pool], minlength=num_classes)
    n_max = int(available.min()) if n_max is None else int(n_max)
    order = np.arange(num_classes) if class_order is None else np.asarray(class_order)
    if sorted(order.tolist()) != list(range(num_classes)):
        raise SubsetError(f"class_order must be a permutation of 0..{num_classes - 1}")
    target = np.empty(num_classes, dtype=np.int64)
    target[order] = long_tail_counts(num_classes, n_max, ratio)
    short = np.flatnonzero(target > available)
    if len(short):
        raise SubsetError(
            f"long tail with n_max={n_max}: classes {short.tolist()} need {target[short].tolist()} "
            f"images but have {available[short].tolist()}; lower n_max"
        )
    grouped, rank = _within_class_rank(labels[pool], np.random.default_rng(seed))
    keep = rank < target[labels[pool][grouped]]
    return np.sort(pool[grouped[keep]])
