"""The crossmodal teacher T_x of xkd over precomputed, L2-normalised CLIP embeddings.

Notation: v = v(x) (N, D) the normalised CLIP image embeddings, N (M, D) the noun vocabulary (a
learnable parameter, here ``vocab``), N0 its pretrained value (``vocab0``), g_c (C, D) the CLIP text
embedding of class c's name (``class_text``), tau the relaxation temperature (published 0.005).

Relaxed text (Guo et al., arXiv 2503.24017)::

    t(x) = normalize( softmax(v . normalize(N)^T / tau) . normalize(N) )

As tau -> 0 the softmax becomes one-hot on the nearest noun, so t(x) is that noun's (unit) vector; as
tau -> inf it is uniform and t(x) = normalize(mean_j normalize(N_j)). It is always computed in float32
(outside autocast): with tau = 0.005 the logits reach 200 and bf16 would quantise the softmax.

Teacher input rows. A *text arm* (:func:`parse_arm`) decides each sample's text; :func:`arm_inputs`
writes one row of width 2D + 2 per sample::

    row = [ v ; g ; relaxed_flag ; image_on ]

``g`` is the class-name text the row uses (exact or noisy label's ``class_text``; zeros where the text
is relaxed or absent), ``relaxed_flag`` = 1 where the text half is t(x), computed inside the model from
the learnable vocabulary (so it is not precomputed), and ``image_on`` = 0 only for the text-only arm.
The teacher (:class:`CrossmodalTeacher`) maps rows to features and logits::

    text(row) = t(x) if relaxed_flag else g
    z         = [ v * image_on ; text(row) ]       (N, 2D)
    logits    = head(z)                            (linear 2D -> C, or MLP 2D-hidden-C with ReLU)

Loss (:class:`CrossmodalLoss`), with y the true label and g_y = class_text[y]::

    L = CE(logits, y)
        + w_hier * mean_{rows with text} (1 - cos(g_y, text(row)))       "hierarchical" (w_hier 0.2)
        + w_reg  * mean_j (1 - cos(N_j, N0_j))                            cosine regulariser (w_reg 0.005)

Rows whose text half is zero (the image-only arm) are left out of the hierarchical mean (cos with a
zero vector is undefined); a batch without text rows contributes 0 to it.

Per-sample random draws (mix, noise and permute arms) are a counter-based hash: the splitmix64
finaliser applied to ``key(seed, stream) + splitmix64(id)``, where ``key`` comes from
``numpy.random.SeedSequence([seed, stream])``. A draw is therefore a function of (seed, stream, the
sample's dataset-level id) only -- not of N, the row order, or which other ids are present -- and the
same ids give the same draws in a subset as in the full set. Consequences: the exact share of a
``mix<x>`` arm (and the corrupted share of ``noise<p>`` / ``permute<p>``) is ~x%, a binomial draw, not
exactly x%; and the selections are nested (the samples corrupted at 20% are among those at 50%), with
noise and permute of one p corrupting the same samples. The permute arm's permutation itself (one
random cycle through the selected samples, ordered by a per-id draw) is a function of the set of
selected ids, not of their row order; a subset of ids is permuted among itself.

Attribution (:func:`integrated_gradients_image_share`): Captum Integrated Gradients on ``head`` at
z = features(rows), zero baseline, target = the true label; image share = sum|attr[:, :D]| / sum|attr|.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class CrossmodalError(ValueError):
    """A crossmodal-teacher setting or input that cannot work: names the key, its value, what was expected
    and how to fix it."""


def _error(key: str, value: Any, expected: str, fix: str) -> CrossmodalError:
    return CrossmodalError(f"{key} = {value!r}: expected {expected}; {fix}")


# --------------------------------------------------------------------------------------------------
# Relaxed text
# --------------------------------------------------------------------------------------------------


def relaxed_text(v: torch.Tensor, vocab: torch.Tensor, tau: float) -> torch.Tensor:
    """t(x) = normalize(softmax(v . normalize(vocab)^T / tau) . normalize(vocab)), (N, D) in float32.

    ``v`` (N, D): normalised image embeddings (used as given); ``vocab`` (M, D): noun embeddings,
    normalised here (gradients flow into ``vocab``); ``tau`` > 0."""
    if v.ndim != 2 or vocab.ndim != 2 or v.shape[1] != vocab.shape[1]:
        raise _error(
            "relaxed_text shapes", (tuple(v.shape), tuple(vocab.shape)), "v (N, D) and vocab (M, D) with one D",
            "pass image embeddings and noun embeddings of the same CLIP model",
        )
    if len(vocab) == 0:
        raise _error("vocab size", 0, "at least one noun", "build a non-empty vocabulary")
    if not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau > 0):
        raise _error("tau", tau, "a finite temperature > 0 (published 0.005)", "set a positive tau")
    with torch.autocast(device_type=v.device.type, enabled=False):
        nouns = F.normalize(vocab.float(), dim=1)
        weights = torch.softmax(v.float() @ nouns.T / tau, dim=1)
        return F.normalize(weights @ nouns, dim=1)


# --------------------------------------------------------------------------------------------------
# Text arms
# --------------------------------------------------------------------------------------------------

_PERCENT = r"(?:100|[1-9]?[0-9])"
ARM_PATTERN = rf"(?:exact|relaxed|image|text|mix{_PERCENT}|noise{_PERCENT}|permute{_PERCENT})"
"""A regex (for Snakemake wildcard constraints) matching exactly the valid arm names."""

ARM_FORMS = "exact, relaxed, image, text, mix<x>, noise<p> or permute<p> with x, p integers 0..100 (e.g. mix50, noise20)"
_PLAIN_KINDS = ("exact", "relaxed", "image", "text")
_PERCENT_KINDS = ("mix", "noise", "permute")


@dataclass(frozen=True)
class Arm:
    """A text arm: ``kind`` one of exact, relaxed, image, text, mix, noise, permute; ``percent`` the x of
    mix<x> (share of exact rows) or the p of noise<p> / permute<p> (share of corrupted labels), 0 for
    the other kinds."""

    kind: str
    percent: int = 0

    def __post_init__(self) -> None:
        if self.kind not in _PLAIN_KINDS + _PERCENT_KINDS:
            raise _error("arm kind", self.kind, f"one of {', '.join(_PLAIN_KINDS + _PERCENT_KINDS)}", f"name an arm as {ARM_FORMS}")
        if not (isinstance(self.percent, int) and 0 <= self.percent <= 100):
            raise _error("arm percent", self.percent, "an integer 0..100", f"name an arm as {ARM_FORMS}")
        if self.kind in _PLAIN_KINDS and self.percent != 0:
            raise _error("arm percent", self.percent, f"0 for the {self.kind} arm", "give a percentage only to mix, noise, permute")

    @property
    def name(self) -> str:
        """The canonical name, which :func:`parse_arm` maps back to this arm."""
        return self.kind if self.kind in _PLAIN_KINDS else f"{self.kind}{self.percent}"

    def __str__(self) -> str:
        return self.name


def parse_arm(name: str) -> Arm:
    """The arm called ``name`` (see :data:`ARM_FORMS`); anything else is a :class:`CrossmodalError`."""
    if not isinstance(name, str):
        raise _error("arm", name, ARM_FORMS, "pass the arm's name as a string")
    if name in _PLAIN_KINDS:
        return Arm(name)
    m = re.fullmatch(r"(mix|noise|permute)([+-]?\d+)", name)
    if m is None:
        raise _error("arm", name, ARM_FORMS, "use one of these names")
    kind, digits = m.groups()
    value = int(digits)
    if not 0 <= value <= 100:
        raise _error("arm", name, f"{ARM_FORMS}; {kind} percentage {value} is outside 0..100", f"use {kind}0 .. {kind}100")
    if digits != str(value):
        raise _error("arm", name, f"{ARM_FORMS}, written without sign or leading zeros", f"write {kind}{value}")
    return Arm(kind, value)


# Streams of the per-id hash (one independent draw per stream and id).
_STREAM_MIX, _STREAM_CORRUPT, _STREAM_REDRAW, _STREAM_PERMUTE = 1, 2, 3, 4
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def id_uniform(seed: int, ids: torch.Tensor | np.ndarray, stream: int) -> np.ndarray:
    """One uniform draw in [0, 1) per id (float64, in the order of ``ids``): a function of ``(seed, stream,
    id)`` only (splitmix64 of the id offset by a SeedSequence key of (seed, stream))."""
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise _error("seed", seed, "a non-negative integer", "pass the run's seed")
    key = np.random.SeedSequence([int(seed), int(stream)]).generate_state(1, dtype=np.uint64)[0]
    arr = np.ascontiguousarray(torch.as_tensor(ids, dtype=torch.int64).cpu().numpy()).view(np.uint64)
    with np.errstate(over="ignore"):
        h = _splitmix64(_splitmix64(arr) + key)
    return (h >> np.uint64(11)).astype(np.float64) * 2.0**-53


def arm_labels(arm: Arm, labels: torch.Tensor, ids: torch.Tensor, num_classes: int, seed: int) -> torch.Tensor:
    """The labels whose class names a noise/permute arm shows (the true labels for other arms).

    noise<p>: the samples with draw u(seed, corrupt, id) < p/100 get a different class drawn uniformly
    ("redraw": y + 1 + floor(u(seed, redraw, id) (C-1)) mod C); permute<p>: the same samples get their
    labels permuted among themselves, along one random cycle (ordered by u(seed, permute, id), each takes
    its predecessor's label), so the label multiset is kept. The permutation depends on the set of
    selected ids (not on row order); a subset of ids is permuted among itself."""
    labels = torch.as_tensor(labels, dtype=torch.int64).cpu()
    if arm.kind not in ("noise", "permute") or arm.percent == 0:
        return labels.clone()
    selected = id_uniform(seed, ids, _STREAM_CORRUPT) < arm.percent / 100
    y = labels.numpy().copy()
    if arm.kind == "noise":
        if num_classes < 2:
            raise _error("num_classes", num_classes, "at least 2 for a noise arm", "use a dataset with two or more classes")
        offset = 1 + np.floor(id_uniform(seed, ids, _STREAM_REDRAW) * (num_classes - 1)).astype(np.int64)
        offset = np.minimum(offset, num_classes - 1)
        y[selected] = (y[selected] + offset[selected]) % num_classes
    else:
        where = np.flatnonzero(selected)
        order = where[np.argsort(id_uniform(seed, ids, _STREAM_PERMUTE)[where], kind="stable")]
        y[order] = np.roll(labels.numpy()[order], 1)
    return torch.from_numpy(y)


def arm_inputs(
    arm: Arm,
    image_emb: torch.Tensor,
    labels: torch.Tensor,
    ids: torch.Tensor,
    class_text: torch.Tensor,
    seed: int,
) -> torch.Tensor:
    """Teacher input rows (N, 2D + 2) = [v ; g ; relaxed_flag ; image_on] of ``arm`` (see the module doc).

    ``image_emb`` (N, D) normalised CLIP image embeddings, ``labels`` (N,) int64 true labels in 0..C-1,
    ``ids`` (N,) int64 dataset-level ids (the per-sample draws are functions of ``(seed, id)``),
    ``class_text`` (C, D) class-name text embeddings. Per arm:

    - exact: g = class_text[y]; relaxed: flag 1, g = 0; image: g = 0, flag 0 (text half zero);
    - text: flag 1, image_on 0 (relaxed text half only, image half zero);
    - mix<x>: a sample is exact where u(seed, mix, id) < x/100, else relaxed (~x% exact, not exactly);
    - noise<p> / permute<p>: g = class_text of :func:`arm_labels` (exact text of a corrupted label).
    """
    if not isinstance(arm, Arm):
        raise _error("arm", arm, "an Arm", "parse the arm's name with parse_arm")
    if image_emb.ndim != 2:
        raise _error("image_emb shape", tuple(image_emb.shape), "(N, D)", "pass one embedding per sample")
    n, d = image_emb.shape
    labels = torch.as_tensor(labels).cpu()
    ids = torch.as_tensor(ids).cpu()
    if labels.shape != (n,) or labels.dtype != torch.int64:
        raise _error("labels", f"{labels.dtype} {tuple(labels.shape)}", f"int64 ({n},)", "pass one integer label per embedding")
    if ids.shape != (n,) or ids.dtype != torch.int64:
        raise _error("ids", f"{ids.dtype} {tuple(ids.shape)}", f"int64 ({n},)", "pass one dataset-level id per embedding")
    if class_text.ndim != 2 or class_text.shape[1] != d:
        raise _error("class_text shape", tuple(class_text.shape), f"(C, {d})", "pass class-name embeddings of the image embeddings' CLIP model")
    c = len(class_text)
    if n and (int(labels.min()) < 0 or int(labels.max()) >= c):
        raise _error("labels range", (int(labels.min()), int(labels.max())), f"0..{c - 1} (one class_text row per class)", "check labels against class_text")
    v = image_emb.float()
    text_table = class_text.to(v)
    zeros = torch.zeros_like(v)
    ones = torch.ones(n, dtype=v.dtype, device=v.device)
    relaxed = torch.zeros(n, dtype=v.dtype, device=v.device)
    image_on = ones.clone()
    if arm.kind in ("exact", "noise", "permute"):
        g = text_table[arm_labels(arm, labels, ids, c, seed).to(v.device)]
    elif arm.kind == "relaxed":
        g, relaxed = zeros, ones
    elif arm.kind == "image":
        g = zeros
    elif arm.kind == "text":
        g, relaxed, image_on = zeros, ones, torch.zeros_like(ones)
    else:  # mix
        exact = torch.from_numpy(id_uniform(seed, ids, _STREAM_MIX) < arm.percent / 100).to(v.device)
        g = torch.where(exact[:, None], text_table[labels.to(v.device)], zeros)
        relaxed = (~exact).to(v.dtype)
    return torch.cat([v, g, relaxed[:, None], image_on[:, None]], dim=1)


def split_rows(rows: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``rows`` (N, 2 dim + 2) -> (v (N, dim), g (N, dim), relaxed_flag (N,), image_on (N,))."""
    if rows.ndim != 2 or rows.shape[1] != 2 * dim + 2:
        raise _error("rows shape", tuple(rows.shape), f"(N, {2 * dim + 2}) = [v ; g ; relaxed_flag ; image_on] for D = {dim}", "build rows with arm_inputs")
    return rows[:, :dim], rows[:, dim : 2 * dim], rows[:, 2 * dim], rows[:, 2 * dim + 1]


# --------------------------------------------------------------------------------------------------
# Teacher and loss
# --------------------------------------------------------------------------------------------------


class CrossmodalTeacher(nn.Module):
    """T_x: ``head([v * image_on ; text(row)])`` over rows of :func:`arm_inputs`.

    ``vocab`` (M, D) the noun embeddings (a learnable parameter, stored normalised; ``vocab0`` keeps the
    pretrained copy), ``class_text`` (C, D) a buffer, ``tau`` the relaxation temperature, ``hidden``
    None for a linear head 2D -> C or a width for the MLP 2D -> hidden -> C with ReLU (published
    "MLP 1024-512-C": hidden 512); the head is initialised from ``seed``. ``forward(rows)`` makes it
    usable as the head of :class:`kdgen.distill.teachers.EmbeddingTeacher` over a table of rows.

    ``standardise`` puts a BatchNorm without affine parameters first in the head (batch statistics in
    training, running ones in eval: an affine map, so Integrated Gradients stay complete): z's dimensions
    differ little between classes when the CLIP's text tower has learned little (a compact CLIP after a
    few steps gives class names with cosines near 1), and unstandardised the head then learns slowly
    even from the exact class name. Not in the published MLP; the config says which.
    """

    def __init__(
        self,
        vocab: torch.Tensor,
        class_text: torch.Tensor,
        tau: float = 0.005,
        hidden: int | None = None,
        seed: int = 0,
        standardise: bool = False,
    ) -> None:
        super().__init__()
        if vocab.ndim != 2 or len(vocab) == 0:
            raise _error("vocab shape", tuple(vocab.shape), "(M, D) with M >= 1", "pass the vocabulary's noun embeddings")
        if class_text.ndim != 2 or class_text.shape[1] != vocab.shape[1] or len(class_text) == 0:
            raise _error("class_text shape", tuple(class_text.shape), f"(C, {vocab.shape[1]}) with C >= 1", "pass class-name embeddings of the vocabulary's CLIP model")
        if not (isinstance(tau, (int, float)) and math.isfinite(tau) and tau > 0):
            raise _error("tau", tau, "a finite temperature > 0 (published 0.005)", "set a positive tau")
        if hidden is not None and not (isinstance(hidden, int) and hidden > 0):
            raise _error("hidden", hidden, "None (linear head) or a positive width (published 512)", "set hidden to null or a positive integer")
        self.tau = float(tau)
        self.dim = int(vocab.shape[1])
        self.num_classes = int(class_text.shape[0])
        self.hidden = hidden
        self.standardise = bool(standardise)
        nouns = F.normalize(vocab.detach().float(), dim=1)
        self.vocab = nn.Parameter(nouns.clone())
        self.register_buffer("vocab0", nouns.clone())
        self.register_buffer("class_text", class_text.detach().float().clone())
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            width = 2 * self.dim
            layers: list[nn.Module] = [nn.BatchNorm1d(width, affine=False)] if standardise else []
            if hidden is None:
                layers.append(nn.Linear(width, self.num_classes))
            else:
                layers += [nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, self.num_classes)]
            self.head: nn.Module = layers[0] if len(layers) == 1 else nn.Sequential(*layers)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, nouns={len(self.vocab)}, classes={self.num_classes}, tau={self.tau}, hidden={self.hidden}, standardise={self.standardise}"

    def text(self, rows: torch.Tensor) -> torch.Tensor:
        """The text half (N, D): relaxed_text(v, vocab, tau) where relaxed_flag, else g."""
        v, g, relaxed, _ = split_rows(rows, self.dim)
        if not bool((relaxed > 0.5).any()):
            return g.float()
        t = relaxed_text(v, self.vocab, self.tau)
        return torch.where(relaxed[:, None] > 0.5, t, g.float())

    def features(self, rows: torch.Tensor) -> torch.Tensor:
        """z (N, 2D) = [v * image_on ; text(rows)]."""
        v, _, _, image_on = split_rows(rows, self.dim)
        return torch.cat([v.float() * image_on[:, None].float(), self.text(rows)], dim=1)

    def forward(self, rows: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(rows))

    @torch.no_grad()
    def renormalise_(self) -> None:
        """Re-normalise the learnable vocabulary's rows to unit length, in place."""
        self.vocab.copy_(F.normalize(self.vocab, dim=1))


class CrossmodalLoss:
    """The training method of T_x (``method(model, rows, labels, context)`` for the project's trainer):
    loss terms ``ce`` (CE), ``hier`` (w_hier * mean over rows with text of 1 - cos(g_y, text)) and
    ``reg`` (w_reg * mean_j 1 - cos(vocab_j, vocab0_j)); logged ``cos_text`` (the unweighted mean
    cosine; NaN for a batch without text rows, e.g. the image-only arm) and ``cos_vocab``.

    It re-normalises the vocabulary (``model.renormalise_()``) before its forward, so the vocabulary
    is unit-norm after every optimizer step as of the next step's forward.
    """

    def __init__(self, w_hier: float = 0.2, w_reg: float = 0.005) -> None:
        for key, value in (("w_hier", w_hier), ("w_reg", w_reg)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise _error(key, value, "a finite weight >= 0", f"set {key} in the xkd config (default {0.2 if key == 'w_hier' else 0.005})")
        self.w_hier = float(w_hier)
        self.w_reg = float(w_reg)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CrossmodalLoss:
        """From config keys ``w_hier``, ``w_reg`` (absent keys take the defaults; others are an error)."""
        unknown = sorted(set(config) - {"w_hier", "w_reg"})
        if unknown:
            raise _error("crossmodal loss keys", unknown, "only w_hier and w_reg", "remove or rename these keys")
        return cls(**dict(config))

    def settings(self) -> dict[str, Any]:
        return {"w_hier": self.w_hier, "w_reg": self.w_reg}

    def __call__(
        self, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, context: Any = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], dict[str, torch.Tensor]]:
        if not isinstance(model, CrossmodalTeacher):
            raise _error("model", type(model).__name__, "a CrossmodalTeacher", "train the crossmodal teacher itself with CrossmodalLoss")
        model.renormalise_()
        z = model.features(inputs)
        logits = model.head(z)
        ce = F.cross_entropy(logits, labels)
        text = z[:, model.dim :].float()
        has_text = text.abs().sum(dim=1) > 0
        if bool(has_text.any()):
            cos_text = F.cosine_similarity(model.class_text[labels[has_text]], text[has_text], dim=1).mean()
            hier = self.w_hier * (1 - cos_text)
        else:
            cos_text = torch.full((), float("nan"), device=z.device)
            hier = z.new_zeros(())
        cos_vocab = F.cosine_similarity(model.vocab, model.vocab0, dim=1).mean()
        terms = {"ce": ce, "hier": hier, "reg": self.w_reg * (1 - cos_vocab)}
        return logits, terms, {"cos_text": cos_text.detach(), "cos_vocab": cos_vocab.detach()}


# --------------------------------------------------------------------------------------------------
# Entropy and attribution
# --------------------------------------------------------------------------------------------------


def entropy_nats(logits: torch.Tensor) -> torch.Tensor:
    """Shannon entropy (nats) of softmax(logits) per row, (N,)."""
    logp = F.log_softmax(logits.float(), dim=1)
    return -(logp.exp() * logp).sum(dim=1)


def integrated_gradients_image_share(
    model: CrossmodalTeacher,
    rows: torch.Tensor,
    labels: torch.Tensor,
    steps: int = 50,
    batch: int = 64,
) -> dict[str, torch.Tensor]:
    """Integrated Gradients (Captum, ``steps`` steps, zero baseline, target = ``labels``) of ``model.head``
    at z = model.features(rows) (detached), computed ``batch`` samples at a time. Returns CPU tensors (N,):

    - ``image_share``: sum|attr[:, :D]| / sum|attr| (NaN where all attributions are 0, e.g. z = 0);
    - ``attr_sum``: sum(attr); ``expected``: head(z)[y] - head(0)[y];
    - ``delta``: Captum's convergence delta, attr_sum - expected (completeness error).
    """
    from captum.attr import IntegratedGradients

    if not (isinstance(steps, int) and steps >= 1):
        raise _error("steps", steps, "a positive integer (published 50)", "set the number of IG steps")
    if not (isinstance(batch, int) and batch >= 1):
        raise _error("batch", batch, "a positive integer", "set how many samples IG attributes at a time")
    labels = torch.as_tensor(labels, dtype=torch.int64)
    if labels.shape != (len(rows),):
        raise _error("labels shape", tuple(labels.shape), f"({len(rows)},)", "pass one target label per row")
    d = model.dim
    ig = IntegratedGradients(model.head)
    out: dict[str, list[torch.Tensor]] = {"image_share": [], "attr_sum": [], "expected": [], "delta": []}
    for start in range(0, len(rows), batch):
        with torch.no_grad():
            z = model.features(rows[start : start + batch]).detach().float()
        y = labels[start : start + batch].to(z.device)
        base = torch.zeros_like(z)
        attr, delta = ig.attribute(z, baselines=base, target=y, n_steps=steps, return_convergence_delta=True)
        attr = attr.detach()
        with torch.no_grad():
            expected = model.head(z).gather(1, y[:, None])[:, 0] - model.head(base).gather(1, y[:, None])[:, 0]
        total = attr.abs().sum(dim=1)
        share = attr[:, :d].abs().sum(dim=1) / total
        share = torch.where(total > 0, share, torch.full_like(share, float("nan")))
        out["image_share"].append(share.cpu())
        out["attr_sum"].append(attr.sum(dim=1).cpu())
        out["expected"].append(expected.float().cpu())
        out["delta"].append(delta.detach().float().reshape(-1).cpu())
    return {k: torch.cat(v) if v else torch.zeros(0) for k, v in out.items()}
