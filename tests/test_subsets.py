"""Subsetting invariants: disjoint held-out splits, nested ladders, the long-tail profile."""

import numpy as np
import pytest

from kdgen.data.subsets import (
    SubsetError,
    long_tail,
    long_tail_counts,
    make_splits,
    nested_order,
    size_ladder,
    stratified_holdout,
)

RNG = np.random.default_rng(0)
LABELS = np.repeat(np.arange(6), [50, 40, 60, 45, 55, 30])
RNG.shuffle(LABELS)
SOURCE = (np.random.default_rng(1).uniform(size=len(LABELS)) < 0.2).astype(np.uint8)


def test_splits_are_disjoint_cover_the_source_and_keep_test_untouched():
    s = make_splits(LABELS, SOURCE, 0.2, seed=3)
    assert not set(s["train"]) & set(s["val"]) and not set(s["train"]) & set(s["test"]) and not set(s["val"]) & set(s["test"])
    assert sorted(np.concatenate([s["train"], s["val"]]).tolist()) == np.flatnonzero(SOURCE == 0).tolist()
    np.testing.assert_array_equal(s["test"], np.flatnonzero(SOURCE == 1))
    # stratified: each class holds out about a fifth of its source-train images
    per_class_train = np.bincount(LABELS[SOURCE == 0])
    np.testing.assert_array_equal(np.bincount(LABELS[s["val"]]), np.rint(per_class_train * 0.2))
    # seeded
    again = make_splits(LABELS, SOURCE, 0.2, seed=3)
    other = make_splits(LABELS, SOURCE, 0.2, seed=4)
    np.testing.assert_array_equal(s["val"], again["val"])
    assert not np.array_equal(s["val"], other["val"])


def test_holdout_keeps_and_holds_at_least_one_per_class():
    labels = np.array([0, 0, 1, 1, 1, 2])
    keep, held = stratified_holdout(labels, 0.01, seed=0)
    assert np.bincount(labels[held], minlength=3).tolist() == [1, 1, 0]
    assert np.bincount(labels[keep], minlength=3).tolist() == [1, 2, 1]
    with pytest.raises(SubsetError):
        stratified_holdout(labels, 1.0, seed=0)


def test_ladder_is_nested_balanced_and_seeded():
    pool = np.flatnonzero(SOURCE == 0)
    ladder = size_ladder(LABELS, pool, [6, 25, 60, 120], seed=7)
    sizes = sorted(ladder)
    for small, big in zip(sizes, sizes[1:]):
        assert set(ladder[small]) < set(ladder[big])
    for n, idx in ladder.items():
        assert len(idx) == n and set(idx) <= set(pool)
        counts = np.bincount(LABELS[idx], minlength=6)
        assert counts.max() - counts.min() <= 1
    again = size_ladder(LABELS, pool, [25], seed=7)[25]
    other = size_ladder(LABELS, pool, [25], seed=8)[25]
    np.testing.assert_array_equal(again, ladder[25])
    assert not np.array_equal(other, ladder[25])
    assert sorted(nested_order(LABELS, pool, 7).tolist()) == pool.tolist()
    with pytest.raises(SubsetError, match="exceed"):
        size_ladder(LABELS, pool, [len(pool) + 1], seed=0)


def test_long_tail_follows_the_profile_and_is_nested_in_ratio():
    pool = np.arange(len(LABELS))
    counts = long_tail_counts(6, 30, 10.0)
    expected = np.floor(30 * 10.0 ** (-np.arange(6) / 5)).astype(int)
    np.testing.assert_array_equal(counts, expected)
    assert counts[0] == 30 and counts[-1] == 3
    lt10 = long_tail(LABELS, pool, 10.0, seed=1)
    assert np.bincount(LABELS[lt10]).tolist() == counts.tolist()  # n_max = smallest class (30)
    lt100 = long_tail(LABELS, pool, 100.0, seed=1)
    assert set(lt100) <= set(lt10)
    order = [5, 4, 3, 2, 1, 0]
    reversed_tail = long_tail(LABELS, pool, 10.0, seed=1, class_order=order)
    assert np.bincount(LABELS[reversed_tail]).tolist() == counts[::-1].tolist()
    with pytest.raises(SubsetError, match="lower n_max"):
        long_tail(LABELS, pool, 10.0, seed=1, n_max=55)
    with pytest.raises(SubsetError, match=">= 1"):
        long_tail_counts(6, 30, 0.5)
