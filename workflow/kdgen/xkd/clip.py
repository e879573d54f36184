"""The CLIP side of xkd: building an open_clip model offline, CLIP's preprocessing, zero-shot classification,
contrastive pretraining through kdgen's trainer, WordNet captions, embeddings and retrieval metrics.

Building. :func:`build_clip` makes a model with ``open_clip.create_model(arch, pretrained=<local file or
None>)``; it never names a hub tag, so it never touches the network. No published CLIP can be
downloaded where the workflow runs, so kdgen registers a *compact CLIP* with open_clip
(:data:`COMPACT_CLIP`, :func:`register_compact_clip`): open_clip's own CLIP model code with a
ModifiedResNet image tower (the RN50 design: three-convolution stem, anti-aliased strided
bottlenecks, attention pooling) of width 16 and one bottleneck per stage at 32 px, a 2-layer text
transformer of width 64 over CLIP's 49,408-token BPE vocabulary and 32-token context, and 64-d
joint embeddings: 4,596,185 parameters, 3.2M of them the token embedding. It is a compact CLIP the
workflow trains on its own images and captions, not OpenAI's CLIP (no "ViT-B/32" results come from it).

Preprocessing (:func:`clip_preprocess`) is CLIP's own, on float tensors in [0, 1] and differentiable:
resize the shorter side to the model's image size (bicubic, anti-aliased when shrinking; nothing when
the size already matches), centre-crop, clamp to [0, 1] as CLIP's PIL pipeline does, and normalise
with the model's mean and std (OpenAI's dataset statistics unless the weights' config says otherwise).

Zero-shot classification (:class:`ZeroShotClassifier`) scores an image against one prompt per class::

    logits = s * normalize(f_img(pre(x))) @ normalize(f_txt(prompts)).T,   s = min(exp(logit_scale), 100)

The class prompts are encoded in every forward pass, so the module trains like any classifier. The
temperature is capped at 100 as in CLIP (Radford et al., 2021, section 2.5; open_clip clamps the
parameter after each optimizer step instead, which kdgen's trainer does not do).

Pretraining (:class:`ContrastiveCaptions`) is a training *method* for :func:`kdgen.train.trainer.fit`:
it returns the zero-shot logits (the trainer's top-1) and the loss term ``clip``, open_clip's
symmetric InfoNCE (``ClipLoss``) between the batch's image embeddings and the embeddings of their own
captions, looked up by dataset-level id. So the compact CLIP is trained by the same loop as every
classifier, with its resumable state and run identity.

Captions (:func:`make_captions`) are written from each class's WordNet synset (a lemma or synonym, the
first hypernym, the gloss) and each image's foreground colour (:func:`colour_words`), in a few short
forms chosen per image from a seed, e.g. ``"a red triangle, a three-sided polygon."``.
:data:`TEMPLATES` are the seven prompt templates the xkd paper averages class-name embeddings over
(:func:`template_embeddings`).

Embeddings and metrics: :func:`encode_images` and :func:`encode_texts` give L2-normalised float32
rows; :func:`retrieval_accuracy` is image->text and text->image recall@1/@5 over matched pairs and
:func:`zero_shot_top1` the top-1 of nearest class embeddings.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import open_clip
import open_clip.factory
import torch
import torch.nn.functional as F
from torch import nn

from kdgen.distill.teachers import index_ids, lookup_ids
from kdgen.runtime import atomic_torch_save
from kdgen.train.trainer import BatchContext, tensor_digest
from kdgen.xkd.clip_architectures import COMPACT_CLIP, WEIGHTS_HINT

__all__ = [
    "COLOURS",
    "COMPACT_CLIP",
    "COMPACT_CLIP_CONFIG",
    "MAX_LOGIT_SCALE",
    "TEMPLATES",
    "ClipBundle",
    "ClipError",
    "ContrastiveCaptions",
    "ZeroShotClassifier",
    "arch_problem",
    "build_clip",
    "class_words",
    "clip_preprocess",
    "colour_names",
    "colour_words",
    "encode_images",
    "encode_texts",
    "foreground_colours",
    "make_captions",
    "register_compact_clip",
    "retrieval_accuracy",
    "save_clip_weights",
    "template_embeddings",
    "zero_shot_top1",
]

#: The compact CLIP's open_clip model config (the same keys as open_clip's ``model_configs/*.json``).
#: The image tower is a ModifiedResNet because ``vision_cfg.layers`` is a list; its attention pool runs
#: on the (image_size // 32)^2 = 1 cell of the last stage plus the mean token, with
#: width * 32 / head_width = 8 heads over 512 channels.
COMPACT_CLIP_CONFIG: dict[str, Any] = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 32, "layers": [1, 1, 1, 1], "width": 16, "head_width": 64},
    "text_cfg": {"context_length": 32, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}

#: The temperature cap of CLIP (logits are scaled by at most 100).
MAX_LOGIT_SCALE = 100.0

#: The seven prompt templates of the xkd paper (the ensemble of CLIP's ImageNet templates its authors found best).
TEMPLATES: tuple[str, ...] = (
    "itap of a {}.",
    "a bad photo of the {}.",
    "a origami {}.",
    "a photo of the large {}.",
    "a {} in a video game.",
    "art of the {}.",
    "a photo of the small {}.",
)

#: The basic colour words :func:`colour_words` names.
COLOURS: tuple[str, ...] = ("red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "white", "grey", "black")


class ClipError(RuntimeError):
    """A CLIP that cannot be built or used as asked: an unknown architecture, a missing or unfitting weights
    file, inputs of the wrong kind, caption ids the table does not hold."""


# --------------------------------------------------------------------------------------------- building


def register_compact_clip() -> None:
    """Register :data:`COMPACT_CLIP` in open_clip's model-config registry (idempotent).

    ``open_clip.add_model_config`` takes only files or folders of JSON; this writes the config into the
    registry dictionary those files are read into, which every open_clip lookup (``list_models``,
    ``create_model``, ``get_tokenizer``) consults. open_clip rebinds that dictionary when it rescans, so it is
    looked up afresh on every call, never kept.
    """
    registry = open_clip.factory._MODEL_CONFIGS
    if registry.get(COMPACT_CLIP) != COMPACT_CLIP_CONFIG:
        registry[COMPACT_CLIP] = copy.deepcopy(COMPACT_CLIP_CONFIG)


def arch_problem(arch: str) -> str | None:
    """Why open_clip cannot build ``arch`` here (an unknown name), or None; builds nothing."""
    register_compact_clip()
    known = open_clip.list_models()
    if arch in known:
        return None
    key = str(arch).lower().replace("/", "-")
    close = [n for n in known if n.lower() == key]
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (
        f"{arch!r} is not an open_clip architecture; {hint}expected a name from open_clip.list_models() "
        f"(print them with: python -c \"import open_clip; print(open_clip.list_models())\") such as 'ViT-B-32', "
        f"or kdgen's {COMPACT_CLIP!r}"
    )


@dataclass
class ClipBundle:
    """A CLIP model with what it needs to be used: its tokenizer and its preprocessing (``image_size``
    in pixels, per-channel ``mean`` and ``std`` in [0, 1] units), and the architecture's name."""

    model: nn.Module
    tokenizer: Callable[..., torch.Tensor]
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    arch: str


def _short(err: BaseException, limit: int = 400) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:limit]}{' ...' if len(text) > limit else ''}"


def _some(names: Sequence[str], k: int = 3) -> str:
    shown = ", ".join(repr(n) for n in list(names)[:k])
    return f"{shown}{', ...' if len(names) > k else ''}"


def _weights_mismatch(path: Path, arch: str, err: BaseException) -> str:
    """Why the weights file ``path`` does not load into ``arch``, in a sentence (open_clip's own error when
    the file's content gives no better one)."""
    save = "write the CLIP's own weights with kdgen.xkd.clip.save_clip_weights"
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as load_err:  # noqa: BLE001 - any unreadable file is described the same way
        return f"torch.load cannot read it as a checkpoint ({_short(load_err, 200)})"
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]  # open_clip's training checkpoints
    if isinstance(obj, dict) and isinstance(obj.get("model"), dict):
        return f"it is a kdgen training checkpoint ({{'model': ...}}); load its 'model' entry into a ZeroShotClassifier and {save}"
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        return f"it holds a {type(obj).__name__} that is not a state dict (a mapping of names to tensors)"
    if not obj:
        return "its state dict is empty"
    if all(isinstance(k, str) and k.startswith("clip.") for k in obj):
        return f"it is a ZeroShotClassifier's state dict (names under 'clip.'); {save}"
    try:
        expected = open_clip.create_model(arch, pretrained_image=False, pretrained_text=False).state_dict()
    except Exception:  # noqa: BLE001 - fall back on open_clip's message
        return _short(err)
    missing = [k for k in expected if k not in obj]
    unexpected = [k for k in obj if k not in expected]
    resized = [f"{k} {tuple(obj[k].shape)} for {tuple(v.shape)}" for k, v in expected.items() if k in obj and obj[k].shape != v.shape]
    parts = [f"it lacks {len(missing)} of the architecture's {len(expected)} tensors ({_some(missing)})"] if missing else []
    parts += [f"{len(unexpected)} of its {len(obj)} tensors are not the architecture's ({_some(unexpected)})"] if unexpected else []
    parts += [f"{len(resized)} of its tensors have other shapes ({_some(resized, 2)})"] if resized else []
    return "; ".join(parts) if parts else _short(err)


def _preprocess_values(model: nn.Module, arch: str) -> tuple[int, tuple[float, ...], tuple[float, ...]]:
    visual = getattr(model, "visual", model)
    cfg = getattr(visual, "preprocess_cfg", None) or {}
    size = cfg.get("size", getattr(visual, "image_size", None))
    mean = cfg.get("mean", getattr(visual, "image_mean", None)) or open_clip.OPENAI_DATASET_MEAN
    std = cfg.get("std", getattr(visual, "image_std", None)) or open_clip.OPENAI_DATASET_STD
    if isinstance(size, (tuple, list)):
        if len(set(size)) != 1:
            raise ClipError(f"CLIP architecture {arch!r} takes non-square images {tuple(size)}; kdgen's preprocessing expects square ones")
        size = size[0]
    if size is None:
        raise ClipError(f"CLIP architecture {arch!r} does not say its image size (visual.preprocess_cfg['size'])")
    return int(size), tuple(float(v) for v in mean), tuple(float(v) for v in std)


def build_clip(arch: str, weights: str | os.PathLike[str] | None = None, device: str | torch.device = "cpu") -> ClipBundle:
    """An open_clip model of architecture ``arch`` with the weights of the local file ``weights`` (None: a
    random initialisation, for a CLIP the workflow trains), in eval mode on ``device``, and its tokenizer and
    preprocessing. Nothing is downloaded: hub tags are not accepted, only files.

    Note that OpenAI's weights were trained with QuickGELU: load them into the ``-quickgelu`` variant of an
    architecture ('ViT-B-32-quickgelu'); the plain name builds nn.GELU, which their state dict cannot tell.
    """
    problem = arch_problem(arch)
    if problem:
        raise ClipError(f"clip.arch: {problem}")
    path = None
    if weights is not None:
        path = Path(weights)
        if not path.is_file():
            raise ClipError(
                f"CLIP weights file {str(path)!r} (config key clip.weights) does not exist; expected a local open_clip "
                f"state dict for {arch!r}. To get one, {WEIGHTS_HINT}. Or set clip.weights: null to have the workflow "
                f"pretrain the compact CLIP {COMPACT_CLIP!r}."
            )
    try:
        model = open_clip.create_model(
            arch,
            pretrained=str(path) if path is not None else None,
            device=device,
            pretrained_image=False,  # no tower weights from timm's hub
            pretrained_text=False,  # nor from Hugging Face's
        )
    except Exception as err:  # open_clip raises anything from pickle errors to size mismatches
        if path is not None:
            raise ClipError(
                f"the CLIP weights file {str(path)!r} (clip.weights) does not fit the architecture {arch!r}: "
                f"{_weights_mismatch(path, arch, err)}. Give weights saved from an open_clip {arch!r} model "
                "(torch.save(model.state_dict(), path)), or set clip.arch to the architecture they belong to."
            ) from err
        raise ClipError(f"open_clip could not build the CLIP architecture {arch!r} offline: {_short(err)}") from err
    try:
        tokenizer = open_clip.get_tokenizer(arch)
    except Exception as err:  # Hugging Face tokenizers need files from the hub
        raise ClipError(f"open_clip could not make the tokenizer of {arch!r} offline: {_short(err)}") from err
    image_size, mean, std = _preprocess_values(model, arch)
    model.eval()
    return ClipBundle(model=model, tokenizer=tokenizer, image_size=image_size, mean=mean, std=std, arch=arch)


def save_clip_weights(model: nn.Module, path: str | os.PathLike[str]) -> None:
    """Write the weights of an open_clip model (or of a :class:`ZeroShotClassifier`'s CLIP) to ``path`` in the
    form :func:`build_clip` reads (a plain state dict, written atomically, on the CPU)."""
    clip = model.clip if isinstance(model, ZeroShotClassifier) else model
    atomic_torch_save({k: v.detach().cpu() for k, v in clip.state_dict().items()}, path)


def _model_device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


# ----------------------------------------------------------------------------------------- preprocessing


def clip_preprocess(x: torch.Tensor, image_size: int, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """CLIP's preprocessing of float images ``x`` (N, 3, H, W) in [0, 1], batched and differentiable: the shorter
    side resized to ``image_size`` (bicubic, anti-aliased when shrinking; skipped when H = W = image_size),
    a centre crop, a clamp to [0, 1], then ``(x - mean) / std`` per channel. Grey images (N, 1, H, W) are
    repeated to three channels."""
    if not torch.is_floating_point(x):
        raise ClipError(f"clip_preprocess takes float images in [0, 1], got dtype {x.dtype}; divide uint8 images by 255 first")
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ClipError(f"clip_preprocess takes images (N, 3, H, W), got shape {tuple(x.shape)}")
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    h, w = x.shape[-2:]
    if (h, w) != (image_size, image_size):
        scale = image_size / min(h, w)
        size = (max(image_size, round(h * scale)), max(image_size, round(w * scale)))
        x = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=scale < 1)
        top, left = (size[0] - image_size) // 2, (size[1] - image_size) // 2
        x = x[..., top : top + image_size, left : left + image_size].clamp(0, 1)
    m = torch.as_tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    s = torch.as_tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return (x - m) / s


# ----------------------------------------------------------------------------------------- zero-shot


class ZeroShotClassifier(nn.Module):
    """A CLIP as a classifier over one tokenised prompt per class (``class_tokens`` (K, L) int64):
    ``forward(x)`` on float images in [0, 1] (N, 3, H, W) gives logits (N, K), the capped temperature times
    the cosine similarities of the image and class-prompt embeddings. The prompts are encoded in every
    forward pass, so training updates both towers. The state dict is the CLIP's, under ``clip.``."""

    def __init__(
        self,
        clip: nn.Module,
        class_tokens: torch.Tensor,
        image_size: int,
        mean: Sequence[float],
        std: Sequence[float],
    ) -> None:
        super().__init__()
        class_tokens = torch.as_tensor(class_tokens)
        if class_tokens.ndim != 2 or class_tokens.dtype != torch.int64 or len(class_tokens) < 1:
            raise ClipError(
                f"class_tokens must be tokenised prompts (K, L) int64 with K >= 1, got shape {tuple(class_tokens.shape)} "
                f"{class_tokens.dtype}; tokenise them with the CLIP's tokenizer"
            )
        self.clip = clip
        self.register_buffer("class_tokens", class_tokens.clone(), persistent=False)
        self.image_size = int(image_size)
        self.mean = tuple(float(v) for v in mean)
        self.std = tuple(float(v) for v in std)

    @classmethod
    def from_bundle(cls, bundle: ClipBundle, class_names: Sequence[str], template: str = "a photo of a {}.") -> ZeroShotClassifier:
        """The classifier of ``bundle``'s CLIP over ``class_names``, one prompt per class from ``template``."""
        if not class_names:
            raise ClipError("a zero-shot classifier needs at least one class name, got none")
        tokens = bundle.tokenizer([template.format(name) for name in class_names])
        return cls(bundle.model, tokens, bundle.image_size, bundle.mean, bundle.std)

    def logit_scale(self) -> torch.Tensor:
        """exp(logit_scale), capped at :data:`MAX_LOGIT_SCALE` (the cap passes no gradient)."""
        return self.clip.logit_scale.exp().clamp(max=MAX_LOGIT_SCALE)

    def image_features(self, x: torch.Tensor) -> torch.Tensor:
        """Normalised image embeddings (N, D) of float images in [0, 1]."""
        return F.normalize(self.clip.encode_image(clip_preprocess(x, self.image_size, self.mean, self.std)), dim=-1)

    def text_features(self, tokens: torch.Tensor | None = None) -> torch.Tensor:
        """Normalised text embeddings of ``tokens`` (default: the class prompts)."""
        tokens = self.class_tokens if tokens is None else tokens.to(self.class_tokens.device)
        return F.normalize(self.clip.encode_text(tokens), dim=-1)

    def logits(self, image_features: torch.Tensor) -> torch.Tensor:
        """Zero-shot logits of normalised image embeddings."""
        return self.logit_scale() * image_features @ self.text_features().T

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(self.image_features(x))


# ----------------------------------------------------------------------------------------- pretraining


class ContrastiveCaptions:
    """The CLIP pretraining method for :func:`kdgen.train.trainer.fit`: for a batch of images and the captions
    of the same images (rows of ``tokens`` (R, L) int64, one per dataset-level id in ``ids``; default
    ``0..R-1``), returns the :class:`ZeroShotClassifier`'s logits and ``{"clip": ClipLoss(image, caption,
    scale)}`` (open_clip's symmetric cross-entropy over the batch's image-caption similarities).

    Identical captions within a batch count as negatives of each other, as in open_clip.
    """

    def __init__(self, tokens: torch.Tensor, ids: torch.Tensor | Sequence[int] | None = None) -> None:
        tokens = torch.as_tensor(tokens)
        if tokens.ndim != 2 or tokens.dtype != torch.int64:
            raise ClipError(f"caption tokens must be a table (R, L) int64, got shape {tuple(tokens.shape)} {tokens.dtype}")
        ids = torch.arange(len(tokens)) if ids is None else torch.as_tensor(ids, dtype=torch.int64)
        if ids.shape != (len(tokens),):
            raise ClipError(f"caption ids have shape {tuple(ids.shape)}; expected one id per caption row ({len(tokens)},)")
        sorted_ids, order, duplicates = index_ids(ids)
        if len(duplicates):
            raise ClipError(f"caption ids must be distinct; ids {duplicates[:10].tolist()} occur more than once")
        self.tokens, self.ids = tokens.cpu(), ids.cpu()
        self._sorted_ids, self._order = sorted_ids.cpu(), order.cpu()
        self.loss = open_clip.ClipLoss()

    def settings(self) -> dict[str, Any]:
        return {"captions": tensor_digest(self.tokens, self.ids), "rows": len(self.tokens), "context_length": self.tokens.shape[1]}

    def rows(self, ids: torch.Tensor) -> torch.Tensor:
        """The caption rows of dataset-level ``ids``; ids without a caption are a :class:`ClipError`."""
        ids = torch.as_tensor(ids, dtype=torch.int64).cpu()
        if len(self._sorted_ids) == 0:
            raise ClipError("the caption table is empty; write captions for the training images first")
        rows, missing = lookup_ids(self._sorted_ids, self._order, ids)
        if bool(missing.any()):
            raise ClipError(
                f"no caption for dataset ids {ids[missing][:10].tolist()} ({int(missing.sum())} of the batch's {len(ids)}); "
                "the caption table must hold a row for every training image id"
            )
        return rows

    def __call__(
        self, model: ZeroShotClassifier, images: torch.Tensor, labels: torch.Tensor, context: BatchContext
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if not isinstance(model, ZeroShotClassifier):
            raise ClipError(f"ContrastiveCaptions trains a ZeroShotClassifier, got {type(model).__name__}")
        if self.tokens.shape[1] != model.class_tokens.shape[1]:
            raise ClipError(
                f"the captions were tokenised to {self.tokens.shape[1]} tokens but the class prompts to "
                f"{model.class_tokens.shape[1]}; tokenise both with the CLIP's own tokenizer"
            )
        captions = self.tokens[self.rows(context.ids)].to(model.class_tokens.device)
        image_features = model.image_features(images)
        # the class prompts and the captions in one pass through the text tower
        text_features = model.text_features(torch.cat([model.class_tokens, captions]))
        class_features, caption_features = text_features.split([len(model.class_tokens), len(captions)])
        scale = model.logit_scale()
        logits = scale * image_features @ class_features.T
        return logits, {"clip": self.loss(image_features, caption_features, scale)}


# ----------------------------------------------------------------------------------------- captions


def _lemma_text(name: str) -> str:
    return name.replace("_", " ")


def class_words(synset: Any) -> dict[str, Any]:
    """The words a caption may use for a WordNet synset: ``lemmas`` (its lemma names, underscores as spaces),
    ``hypernyms`` (the lemmas of its first hypernym by name, or of its first instance hypernym; empty at a
    root) and ``gloss`` (its definition). By name: NLTK lists a synset's hypernyms in the order of a set,
    which changes with Python's hash seed from one process to the next (square.n.01: regular_polygon.n.01
    or rectangle.n.01)."""
    parents = synset.hypernyms() or synset.instance_hypernyms()
    first = min(parents, key=lambda s: s.name()) if len(parents) > 1 else next(iter(parents), None)
    return {
        "lemmas": [_lemma_text(n) for n in synset.lemma_names()],
        "hypernyms": [_lemma_text(n) for n in first.lemma_names()] if first is not None else [],
        "gloss": synset.definition(),
    }


def _border_mask(h: int, w: int) -> torch.Tensor:
    mask = torch.zeros(h, w, dtype=torch.bool)
    mask[0, :] = mask[-1, :] = mask[:, 0] = mask[:, -1] = True
    return mask


def foreground_colours(images: np.ndarray | torch.Tensor) -> np.ndarray:
    """The mean RGB colour (N, 3) in [0, 1] of each image's foreground: the pixels whose distance to the mean
    colour of the image's border is at least half the largest such distance in the image (a uniform
    image's foreground is all of it). ``images``: uint8 (N, H, W, 3), or grey (N, H, W[, 1])."""
    x = torch.as_tensor(np.asarray(images))
    if x.dtype != torch.uint8:
        raise ClipError(f"colour_words takes uint8 images, got {x.dtype}")
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[-1] not in (1, 3) or min(x.shape[1:3]) < 2:
        raise ClipError(f"colour_words takes images (N, H, W, 3) of at least 2x2 pixels, got shape {tuple(x.shape)}")
    x = x.float().div_(255).expand(-1, -1, -1, 3)
    border = x[:, _border_mask(x.shape[1], x.shape[2])].mean(1)  # (N, 3)
    distance = (x - border[:, None, None, :]).norm(dim=-1)  # (N, H, W)
    fg = (distance >= 0.5 * distance.amax(dim=(1, 2), keepdim=True)).float()
    return ((x * fg[..., None]).sum((1, 2)) / fg.sum((1, 2))[:, None]).numpy()


def colour_names(rgb: np.ndarray) -> list[str]:
    """Basic colour words (:data:`COLOURS`) of RGB rows (N, 3) in [0, 1], by hue, saturation and value:
    dark is black; unsaturated is white, grey or black by value; a light, weakly saturated red is pink;
    else the hue's band (red < 15 deg, orange < 45, yellow < 70, green < 160, cyan < 200, blue < 260,
    purple < 290, pink < 345, red)."""
    rgb = np.asarray(rgb, dtype=np.float64).reshape(-1, 3)
    v = rgb.max(1)
    c = v - rgb.min(1)
    s = np.where(v > 0, c / np.maximum(v, 1e-12), 0.0)
    r, g, b = rgb.T
    safe = np.maximum(c, 1e-12)
    hue = np.select([c == 0, v == r, v == g], [0.0, ((g - b) / safe) % 6, (b - r) / safe + 2], (r - g) / safe + 4) * 60.0
    bands = np.array([15, 45, 70, 160, 200, 260, 290, 345])
    band_names = np.array(["red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "red"])
    names = band_names[np.searchsorted(bands, hue, side="right")]
    reddish = (hue < 15) | (hue >= 330)
    names = np.where(reddish & (s < 0.5) & (v > 0.7), "pink", names)
    grey = np.where(v >= 0.75, "white", np.where(v < 0.25, "black", "grey"))
    names = np.where(s < 0.2, grey, names)
    names = np.where(v < 0.2, "black", names)
    return names.tolist()


def colour_words(images: np.ndarray | torch.Tensor) -> list[str]:
    """The foreground colour of each uint8 image (N, H, W, 3) as a basic colour word (:data:`COLOURS`); the
    foreground is the pixels that differ most from the mean colour of the image's border."""
    return colour_names(foreground_colours(images))


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _short_gloss(gloss: str, max_words: int = 10) -> str:
    words = gloss.split(";")[0].strip().rstrip(".").split()
    return " ".join(words[:max_words])


def _caption_forms(colour: str, lemma: str, hypernym: str, gloss: str) -> list[str]:
    a_colour = f"{_article(colour)} {colour}"
    forms = [f"a photo of {a_colour} {lemma}.", f"{a_colour} {lemma}."]
    if gloss:
        forms.append(f"{a_colour} {lemma}, {gloss}.")
    if hypernym:
        forms += [f"{a_colour} {lemma}, a kind of {hypernym}.", f"{a_colour} {hypernym}: {_article(lemma)} {lemma}."]
    return forms


def make_captions(
    labels: Sequence[int] | np.ndarray | torch.Tensor,
    class_synsets: Sequence[Any],
    images: np.ndarray | torch.Tensor,
    seed: int,
) -> list[str]:
    """One short caption per image, a function of ``(labels, class_synsets, images, seed)``: a form chosen from
    the seed among up to five (colour and lemma; with the gloss; with the hypernym), the class's lemma
    or a synonym, one of its hypernym's lemmas, its gloss's first clause (at most ten words) and the
    image's foreground colour (:func:`colour_words`), e.g. ``"a red triangle, a three-sided polygon."``.
    ``labels`` index ``class_synsets`` (NLTK synsets); ``images`` are uint8 (N, H, W, 3)."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    n, k = len(labels), len(class_synsets)
    if len(images) != n:
        raise ClipError(f"make_captions got {n} labels but {len(images)} images; expected one label per image")
    if n and (labels.min() < 0 or labels.max() >= k):
        raise ClipError(f"labels must lie in [0, {k}) to index the {k} class synsets, got values from {labels.min()} to {labels.max()}")
    words = [class_words(s) for s in class_synsets]
    colours = colour_words(images) if n else []
    rng = np.random.default_rng(seed)
    draws = rng.random((n, 3))  # form, lemma, hypernym lemma: drawn whatever the classes, so stable across them
    captions = []
    for i, (label, colour) in enumerate(zip(labels, colours, strict=True)):
        w = words[label]
        lemma = w["lemmas"][int(draws[i, 1] * len(w["lemmas"]))]
        hypernym = w["hypernyms"][int(draws[i, 2] * len(w["hypernyms"]))] if w["hypernyms"] else ""
        forms = _caption_forms(colour, lemma, hypernym, _short_gloss(w["gloss"]))
        captions.append(forms[int(draws[i, 0] * len(forms))])
    return captions


# ----------------------------------------------------------------------------------------- embeddings


def _as_image_batch(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images)) if not isinstance(images, torch.Tensor) else images
    if x.dtype != torch.uint8:
        raise ClipError(f"encode_images takes uint8 images (N, 3, H, W), got dtype {x.dtype}")
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        hint = " (channels last? use kdgen.train.trainer.as_rgb_batch)" if x.ndim == 4 and x.shape[-1] in (1, 3) else ""
        raise ClipError(f"encode_images takes uint8 images (N, 3, H, W), got shape {tuple(x.shape)}{hint}")
    return x


@torch.no_grad()
def encode_images(
    bundle: ClipBundle,
    images: np.ndarray | torch.Tensor,
    batch_size: int = 256,
    device: str | torch.device | None = None,
    progress: bool = False,
) -> torch.Tensor:
    """L2-normalised float32 image embeddings (N, D), on the CPU, of uint8 ``images`` (N, 3, H, W) (grey
    (N, 1, H, W) is repeated), through CLIP's preprocessing, with the model in eval mode (its mode is
    restored after). ``device``: where to run (the model is moved there); None: where the model is."""
    x = _as_image_batch(images)
    model = bundle.model
    if device is not None:
        model.to(device)
    device = _model_device(model)
    was_training = model.training
    model.eval()
    starts: Any = range(0, len(x), batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="CLIP image embeddings", unit="batch", leave=False)
    out = []
    for start in starts:
        batch = x[start : start + batch_size].to(device).float().div_(255)
        features = model.encode_image(clip_preprocess(batch, bundle.image_size, bundle.mean, bundle.std))
        out.append(F.normalize(features.float(), dim=-1).cpu())
    model.train(was_training)
    if not out:
        raise ClipError("encode_images got no images")
    return torch.cat(out)


@torch.no_grad()
def encode_texts(bundle: ClipBundle, texts: Sequence[str], batch_size: int = 256) -> torch.Tensor:
    """L2-normalised float32 text embeddings (T, D), on the CPU, of ``texts`` (tokenised with the bundle's
    tokenizer, which truncates at the context length), with the model in eval mode (restored after)."""
    if isinstance(texts, str):
        raise ClipError("encode_texts takes a list of texts, got one string; wrap it in a list")
    if len(texts) == 0:
        raise ClipError("encode_texts got no texts")
    model = bundle.model
    device = _model_device(model)
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(texts), batch_size):
        tokens = bundle.tokenizer(list(texts[start : start + batch_size])).to(device)
        out.append(F.normalize(model.encode_text(tokens).float(), dim=-1).cpu())
    model.train(was_training)
    return torch.cat(out)


def template_embeddings(
    bundle: ClipBundle, names: Sequence[str], templates: Sequence[str] = TEMPLATES, batch_size: int = 256
) -> torch.Tensor:
    """Per name, the re-normalised mean of the normalised embeddings of its prompts ``template.format(name)``
    (len(names), D); all prompts are encoded in one pass."""
    if len(names) == 0 or len(templates) == 0:
        raise ClipError(f"template_embeddings needs names and templates, got {len(names)} names and {len(templates)} templates")
    prompts = [t.format(name) for name in names for t in templates]
    emb = encode_texts(bundle, prompts, batch_size).view(len(names), len(templates), -1)
    return F.normalize(emb.mean(1), dim=-1)


# ----------------------------------------------------------------------------------------- metrics


def _ranks_of_matches(queries: torch.Tensor, keys: torch.Tensor, chunk: int) -> torch.Tensor:
    """For each query row i, how many keys score strictly higher than key i (0 = the match ranks first)."""
    ranks = []
    for start in range(0, len(queries), chunk):
        sims = queries[start : start + chunk] @ keys.T
        rows = torch.arange(len(sims))
        true = sims[rows, rows + start]  # from the same product, so ties are exact
        ranks.append((sims > true[:, None]).sum(1))
    return torch.cat(ranks)


def retrieval_accuracy(image_emb: torch.Tensor, text_emb: torch.Tensor, chunk: int = 1024) -> dict[str, float | int]:
    """Recall@1 and @5 (%) of image->text and text->image retrieval over matched pairs (row i of ``image_emb``
    goes with row i of ``text_emb``; both (N, D), normalised for cosine similarity). A match counts at rank
    k when fewer than k other rows score strictly higher (ties go to the match)."""
    image_emb, text_emb = torch.as_tensor(image_emb).float(), torch.as_tensor(text_emb).float()
    if image_emb.ndim != 2 or image_emb.shape != text_emb.shape or len(image_emb) == 0:
        raise ClipError(
            f"retrieval_accuracy takes matched embeddings (N, D) of equal shapes, got {tuple(image_emb.shape)} and {tuple(text_emb.shape)}"
        )
    out: dict[str, float | int] = {"n": len(image_emb)}
    for name, ranks in (("i2t", _ranks_of_matches(image_emb, text_emb, chunk)), ("t2i", _ranks_of_matches(text_emb, image_emb, chunk))):
        for k in (1, 5):
            out[f"{name}_r{k}"] = 100.0 * int((ranks < k).sum()) / len(ranks)
    return out


def zero_shot_top1(image_emb: torch.Tensor, class_emb: torch.Tensor, labels: torch.Tensor | Sequence[int]) -> float:
    """Top-1 accuracy (%) of assigning each image embedding (N, D) to the class embedding (K, D) of highest
    cosine similarity, against ``labels`` (N,)."""
    image_emb, class_emb = torch.as_tensor(image_emb).float(), torch.as_tensor(class_emb).float()
    labels = torch.as_tensor(labels, dtype=torch.int64).reshape(-1)
    if image_emb.ndim != 2 or class_emb.ndim != 2 or image_emb.shape[1] != class_emb.shape[1] or len(labels) != len(image_emb):
        raise ClipError(
            f"zero_shot_top1 takes image embeddings (N, D), class embeddings (K, D) and labels (N,), got "
            f"{tuple(image_emb.shape)}, {tuple(class_emb.shape)} and {tuple(labels.shape)}"
        )
    if len(labels) == 0:
        raise ClipError("zero_shot_top1 got no images")
    predicted = (image_emb @ class_emb.T).argmax(1)
    return 100.0 * int((predicted == labels).sum()) / len(labels)
