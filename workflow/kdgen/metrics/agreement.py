"""How far a student agrees with its teachers, from logits: the lfkd study's fidelity, KL divergence,
mutual information of predictions, entropy, calibration and accuracy.

Logits are float tensors (N, K) of N images and K classes; labels and predictions are integer tensors
(N,). Every function returns a Python float. scikit-learn and torchmetrics are imported only inside the
functions that use them, so that importing this module stays light.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _check_logits(*logits: torch.Tensor) -> None:
    shape = logits[0].shape
    for x in logits:
        if x.ndim != 2 or not x.is_floating_point():
            raise ValueError(f"logits must be float tensors (N, K), got {x.dtype} of shape {tuple(x.shape)}")
        if x.shape != shape:
            raise ValueError(f"logits shape mismatch: {tuple(shape)} vs {tuple(x.shape)}")
        if x.shape[0] == 0:
            raise ValueError("no images: logits have N = 0")


def _check_labels(*labels: torch.Tensor) -> None:
    for y in labels:
        if y.ndim != 1 or y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
            raise ValueError(f"labels must be integer tensors (N,), got {y.dtype} of shape {tuple(y.shape)}")
        if y.numel() == 0:
            raise ValueError("no labels")
        if y.min().item() < 0:
            raise ValueError("labels must be non-negative class indices")
    if any(y.shape != labels[0].shape for y in labels):
        raise ValueError(f"label shape mismatch: {[tuple(y.shape) for y in labels]}")


def mean_logits(logits: Sequence[torch.Tensor]) -> torch.Tensor:
    """The ensemble's logits: the mean of its members' logits, the teacher signal lfkd distils from."""
    if len(logits) == 0:
        raise ValueError("no teachers: need at least one logits tensor")
    _check_logits(*logits)
    return torch.stack(list(logits)).mean(dim=0)


def top1_agreement(a_logits: torch.Tensor, b_logits: torch.Tensor) -> float:
    """Fraction of images on which two models predict the same class (ties go to the first class)."""
    _check_logits(a_logits, b_logits)
    return (a_logits.argmax(dim=1) == b_logits.argmax(dim=1)).double().mean().item()


def fidelity(student_logits: torch.Tensor, teacher_logits: Sequence[torch.Tensor]) -> float:
    """Top-1 agreement of the student with the mean of its teachers' logits (the ensemble it was
    distilled from, not a majority vote of the teachers' predictions)."""
    return top1_agreement(student_logits, mean_logits(teacher_logits))


def kl_divergence(p_logits: torch.Tensor, q_logits: torch.Tensor, temperature: float = 1.0) -> float:
    """Mean over images of KL(softmax(p / T) || softmax(q / T)) in nats, from log-softmax (stable for
    large logits; classes where p is 0 contribute 0). lfkd reports KL(student || teachers' mean logits)
    at T = 1: ``kl_divergence(student, mean_logits(teachers))``."""
    _check_logits(p_logits, q_logits)
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    log_p = torch.log_softmax(p_logits.double() / temperature, dim=1)
    log_q = torch.log_softmax(q_logits.double() / temperature, dim=1)
    p = log_p.exp()
    terms = torch.where(p > 0, p * (log_p - log_q), 0.0)
    return terms.sum(dim=1).mean().item()


def _joint_counts(a: torch.Tensor, b: torch.Tensor, num_classes: int | None) -> torch.Tensor:
    """The K x K contingency table of two label vectors, in float64, from one bincount of a * K + b."""
    _check_labels(a, b)
    k = num_classes if num_classes is not None else int(max(a.max().item(), b.max().item())) + 1
    if max(a.max().item(), b.max().item()) >= k:
        raise ValueError(f"labels must be below num_classes={k}")
    flat = a.long() * k + b.long()
    return torch.bincount(flat, minlength=k * k).reshape(k, k).double()


def mutual_information(a: torch.Tensor, b: torch.Tensor, num_classes: int | None = None) -> float:
    """Mutual information (nats) of two integer label vectors (e.g. the classes a student and a teacher
    predict), the plug-in estimate from their joint histogram: ``sum p(i, j) log(p(i, j) / (p(i) p(j)))``
    with 0 log 0 = 0. Invariant to relabelling the classes. ``num_classes`` defaults to the largest
    label + 1 (it does not change the value). Rounding below zero is clipped to 0."""
    joint = _joint_counts(a, b, num_classes)
    joint = joint / joint.sum()
    pa, pb = joint.sum(dim=1, keepdim=True), joint.sum(dim=0, keepdim=True)
    nonzero = joint > 0
    terms = joint[nonzero] * (joint[nonzero].log() - (pa * pb)[nonzero].log())
    return max(terms.sum().item(), 0.0)


def entropy_of_labels(a: torch.Tensor) -> float:
    """Plug-in entropy (nats) of a label vector's empirical distribution, with 0 log 0 = 0; the upper
    bound of :func:`mutual_information` with any other labels."""
    _check_labels(a)
    p = torch.bincount(a.long()).double()
    p = p[p > 0] / a.numel()
    return -(p * p.log()).sum().item()


def mutual_information_knn(a: torch.Tensor, b: torch.Tensor, seed: int, n_neighbors: int = 3) -> float:
    """Mutual information as the lfkd authors' code computed it: scikit-learn's k-nearest-neighbour
    estimator (``mutual_info_regression``, Kraskov et al.) on the class indices taken as real numbers.
    Reported as a secondary value, for comparison with the paper only.

    It is unsound for class labels: the estimator assumes continuous densities, but labels are massively
    tied, so the neighbour distances are decided by the tiny noise scikit-learn adds to break ties (hence
    ``seed``) and by k; and it measures closeness of class *indices*, an arbitrary order, so relabelling
    the classes changes the value. :func:`mutual_information` is the consistent estimate.
    """
    from sklearn.feature_selection import mutual_info_regression

    _check_labels(a, b)
    x = a.detach().cpu().double().numpy().reshape(-1, 1)
    y = b.detach().cpu().double().numpy()
    return float(mutual_info_regression(x, y, discrete_features=False, n_neighbors=n_neighbors, random_state=seed)[0])


def mean_entropy(logits: torch.Tensor) -> float:
    """Mean over images of the entropy (nats) of softmax(logits): how unsure a model is; log K at most."""
    _check_logits(logits)
    log_p = torch.log_softmax(logits.double(), dim=1)
    p = log_p.exp()
    return -torch.where(p > 0, p * log_p, 0.0).sum(dim=1).mean().item()


def expected_calibration_error(logits: torch.Tensor, labels: torch.Tensor, bins: int = 10) -> float:
    """Expected calibration error (l1) over ``bins`` equal-width confidence bins: the mean over images,
    per bin, of |accuracy - mean top-1 confidence|, weighted by the bin's share of images. Computed by
    torchmetrics' ``multiclass_calibration_error``; the softmax is taken here, because torchmetrics
    would take logits that all happen to lie in [0, 1] for probabilities."""
    from torchmetrics.functional.classification import multiclass_calibration_error

    _check_logits(logits)
    _check_labels(labels)
    if labels.shape[0] != logits.shape[0]:
        raise ValueError(f"{logits.shape[0]} logits but {labels.shape[0]} labels")
    probs = torch.softmax(logits.float(), dim=1)
    return multiclass_calibration_error(
        probs, labels.long(), num_classes=logits.shape[1], n_bins=bins, norm="l1"
    ).item()


def top1(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Top-1 accuracy: fraction of images whose highest logit is their label."""
    _check_logits(logits)
    _check_labels(labels)
    if labels.shape[0] != logits.shape[0]:
        raise ValueError(f"{logits.shape[0]} logits but {labels.shape[0]} labels")
    return (logits.argmax(dim=1) == labels.to(logits.device)).double().mean().item()


def affinity(acc_augmented: float, acc_base: float) -> float:
    """Affinity of an augmentation: the accuracy of a model on augmented images relative to its accuracy
    on the unaugmented ones (1 = the augmentation keeps the images as recognisable)."""
    if acc_base == 0:
        raise ValueError("affinity is undefined when the base accuracy is 0")
    return acc_augmented / acc_base
