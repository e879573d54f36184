"""Filtered re-balancing (GM-augCls, Guo et al. 2023): which generated candidates join the training set.

A candidate is *accepted* when the filtering classifier's top-1 class is the class it was generated
for and its score exceeds the threshold: the raw top-1 logit (the published filter, thresholds 10-30 on
ResNet-18 logits) or the softmax probability. Every class is then topped up to its target count with
candidates taken in the order they were drawn; every original image stays. Arms:

- ``step1`` / ``step2``: accepted candidates (filtered by the original, resp. the step-1, classifier);
- ``no_filter``: candidates as drawn, no filter;
- ``random``: per class as many candidates as step 1 kept, chosen uniformly at random from all of the
  class's candidates (the filter's count without its choice).

Plain numpy: the scores come in as logits.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def candidate_scores(logits: np.ndarray, intended: np.ndarray, score: str) -> tuple[np.ndarray, np.ndarray]:
    """(score, top-1 is the intended class) per candidate; score is the top-1 logit or the softmax
    probability of the top-1 class."""
    logits = np.asarray(logits, dtype=np.float64)
    top = logits.argmax(axis=1)
    if score == "logit":
        values = logits.max(axis=1)
    elif score == "probability":
        shifted = logits - logits.max(axis=1, keepdims=True)
        values = 1.0 / np.exp(shifted).sum(axis=1)  # the top-1 class's softmax probability
    else:
        raise ValueError(f"score = {score!r}: expected logit or probability")
    return values, top == np.asarray(intended)


def accepted_mask(logits: np.ndarray, intended: np.ndarray, score: str, threshold: float) -> np.ndarray:
    """Candidates the filter keeps: top-1 is the intended class and the score exceeds ``threshold``."""
    values, right = candidate_scores(logits, intended, score)
    return right & (values > threshold)


def select(
    intended: np.ndarray,
    missing: np.ndarray,
    arm: str,
    accepted: np.ndarray | None = None,
    counts_like: np.ndarray | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Sorted indices of the candidates that join the training set for ``arm`` (see the module doc).

    ``missing[c]``: images class c lacks to reach its target; ``accepted``: the filter's mask (step1,
    step2); ``counts_like[c]``: how many the random arm takes of class c (step 1's kept counts).
    """
    intended = np.asarray(intended)
    missing = np.asarray(missing, dtype=np.int64)
    keep = []
    rng = np.random.default_rng(seed)
    for c in range(len(missing)):
        pool = np.flatnonzero(intended == c)
        if arm in ("step1", "step2"):
            if accepted is None:
                raise ValueError(f"arm {arm!r} needs the filter's accepted mask")
            keep.append(pool[np.asarray(accepted)[pool]][: missing[c]])
        elif arm == "no_filter":
            keep.append(pool[: missing[c]])
        elif arm == "random":
            if counts_like is None:
                raise ValueError("arm 'random' needs step 1's kept counts per class")
            n = min(int(counts_like[c]), len(pool))
            keep.append(np.sort(rng.choice(pool, size=n, replace=False)) if n else pool[:0])
        else:
            raise ValueError(f"arm = {arm!r}: expected one of step1, step2, no_filter, random")
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def class_table(
    class_names: Sequence[str],
    counts: np.ndarray,
    targets: np.ndarray,
    intended: np.ndarray,
    kept: np.ndarray,
    accepted: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per class: real images, target, candidates, accepted by the filter (and its rate; empty without
    a filter), generated images kept, and the class's final count."""
    k = len(class_names)
    intended = np.asarray(intended)
    n_cand = np.bincount(intended, minlength=k)
    n_kept = np.bincount(intended[np.asarray(kept, dtype=np.int64)], minlength=k)
    table = pd.DataFrame(
        {
            "class": list(class_names),
            "real": np.asarray(counts, dtype=np.int64),
            "target": np.asarray(targets, dtype=np.int64),
            "candidates": n_cand,
            "kept": n_kept,
            "final": np.asarray(counts, dtype=np.int64) + n_kept,
        }
    )
    if accepted is not None:
        n_acc = np.bincount(intended[np.asarray(accepted)], minlength=k)
        table.insert(4, "accepted", n_acc)
        table.insert(5, "acceptance", np.where(n_cand > 0, n_acc / np.maximum(n_cand, 1), np.nan))
    return table
