"""The xkd study's files and the glue between its pieces: the embeddings file every downstream rule reads
by sample id, the crossmodal teacher's checkpoint, and T_x as a distillation teacher.

``embeddings.npz`` (written by the xkd_embed rule) holds, for a dataset of N images and C classes:
``ids`` (N,) the dataset-level ids 0..N-1, ``image`` (N, D) the L2-normalised CLIP image embeddings,
``labels`` (N,), ``class_text`` (C, D) the template-averaged, normalised text embeddings of the class
names, ``class_names`` (C,), and ``clip`` (the architecture and where its weights came from).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kdgen.distill.teachers import EmbeddingTeacher, TeacherError, lookup_ids
from kdgen.runtime import atomic_path
from kdgen.train.trainer import load_checkpoint
from kdgen.xkd.crossmodal import CrossmodalTeacher, arm_inputs, parse_arm


@dataclass
class Embeddings:
    """A dataset's CLIP embeddings (see the module docstring)."""

    ids: np.ndarray
    image: np.ndarray
    labels: np.ndarray
    class_text: np.ndarray
    class_names: list[str]
    clip: str = ""

    @property
    def dim(self) -> int:
        return int(self.image.shape[1])

    def take(self, ids: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(image embeddings, labels, ids) of dataset-level ``ids`` as tensors; ids the file lacks are an error."""
        ids = torch.as_tensor(np.asarray(ids, dtype=np.int64))
        table = torch.from_numpy(self.ids)  # sorted by load_embeddings: row i holds id table[i]
        pos, missing = lookup_ids(table, torch.arange(len(table)), ids)
        if bool(missing.any()):
            raise TeacherError(f"the embeddings hold no row for ids {ids[missing][:10].tolist()}; re-run xkd_embed for this dataset")
        pos = pos.numpy()
        return torch.from_numpy(self.image[pos]).float(), torch.from_numpy(self.labels[pos]).long(), ids


def save_embeddings(path: str | os.PathLike[str], emb: Embeddings) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(
                f, ids=emb.ids.astype(np.int64), image=emb.image.astype(np.float32), labels=emb.labels.astype(np.int64),
                class_text=emb.class_text.astype(np.float32), class_names=np.array(emb.class_names), clip=np.array(emb.clip),
            )


def load_embeddings(path: str | os.PathLike[str]) -> Embeddings:
    with np.load(path) as z:
        order = np.argsort(z["ids"], kind="stable")
        return Embeddings(
            z["ids"][order], z["image"][order], z["labels"][order], z["class_text"], [str(n) for n in z["class_names"]], str(z["clip"])
        )


def split_ids(splits_path: str | os.PathLike[str], split: str, subset_path: str | os.PathLike[str] | None = None) -> np.ndarray:
    """The dataset-level ids of a split (the train split's ``subset_path`` indices when given)."""
    if split == "train" and subset_path:
        return np.load(subset_path).astype(np.int64)
    with np.load(splits_path) as z:
        return z[split].astype(np.int64)


def teacher_rows(emb: Embeddings, ids: np.ndarray, arm: str, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """T_x's input rows of ``arm`` for dataset-level ``ids`` (their per-sample draws depend on ``seed`` and
    the id alone), with the true labels and the ids."""
    v, y, i = emb.take(ids)
    return arm_inputs(parse_arm(arm), v, y, i, torch.from_numpy(emb.class_text).float(), seed), y, i


def crossmodal_meta(arm: str, seed: int, teacher: CrossmodalTeacher) -> dict[str, Any]:
    """What a T_x checkpoint records beside its weights, enough to rebuild it (:func:`load_crossmodal`)."""
    return {
        "kind": "crossmodal",
        "arm": arm,
        "seed": int(seed),
        "dim": int(teacher.dim),
        "vocab_size": int(teacher.vocab.shape[0]),
        "num_classes": int(teacher.class_text.shape[0]),
        "tau": float(teacher.tau),
        "hidden": teacher.hidden,
        "standardise": teacher.standardise,
    }


def load_crossmodal(path: str | os.PathLike[str]) -> tuple[CrossmodalTeacher, dict[str, Any]]:
    """A T_x from its checkpoint (written by the xkd_teacher rule), in eval mode, and its meta."""
    path = Path(path)
    if not path.is_file():
        raise TeacherError(f"crossmodal teacher checkpoint {path} not found: train it first (rule xkd_teacher) or fix the path")
    try:
        ckpt = load_checkpoint(path)
        meta = ckpt["meta"]
        if meta.get("kind") != "crossmodal":
            raise ValueError("its meta says it is not a crossmodal teacher")
        d, m, c = meta["dim"], meta["vocab_size"], meta["num_classes"]
        model = CrossmodalTeacher(torch.ones(m, d), torch.ones(c, d), meta["tau"], meta["hidden"], standardise=meta.get("standardise", False))
        model.load_state_dict(ckpt["model"])
    except Exception as exc:
        raise TeacherError(
            f"crossmodal teacher checkpoint {path} cannot be loaded ({type(exc).__name__}: {exc}); expected a checkpoint "
            "with 'model' and 'meta' written by the xkd_teacher rule"
        ) from exc
    return model.eval(), meta


def crossmodal_teacher(path: str | os.PathLike[str], emb: Embeddings, num_classes: int | None = None) -> EmbeddingTeacher:
    """T_x as a distillation teacher: its head over a table of its input rows for every image of the
    dataset, looked up by the student's batch ids (the clean view's embedding: the student's augmentation
    does not reach it)."""
    model, meta = load_crossmodal(path)
    if num_classes is not None and meta["num_classes"] != num_classes:
        raise TeacherError(f"crossmodal teacher {path} predicts {meta['num_classes']} classes, the student's data has {num_classes}")
    if meta["dim"] != emb.dim:
        raise TeacherError(f"crossmodal teacher {path} takes {meta['dim']}-d embeddings, the embeddings file holds {emb.dim}-d ones")
    rows, _, ids = teacher_rows(emb, emb.ids, meta["arm"], meta["seed"])
    return EmbeddingTeacher(rows, meta["num_classes"], ids=ids, head=model)


def class_synsets(wn: Any, classes: list[Any]) -> list[Any]:
    """The WordNet synsets of a dataset's classes (ClassInfo with a wnid such as 'n04463679'); a class without
    one is an error naming it (the compact CLIP's captions are written from WordNet)."""
    synsets = []
    for c in classes:
        if not c.wnid:
            raise ValueError(f"class {c.name!r} has no WordNet id: the compact CLIP's captions need WordNet classes; give clip.weights instead")
        synsets.append(wn.synset_from_pos_and_offset(c.wnid[0], int(c.wnid[1:])))
    return synsets


def clip_bundle(clip: dict[str, Any], checkpoint: str | os.PathLike[str] | None = None, device: str = "cpu") -> Any:
    """The CLIP of the config's ``clip`` block: open_clip ``arch`` with the ``weights`` file, or, with weights
    null, the compact CLIP the xkd_clip_pretrain rule wrote to ``checkpoint`` (its best zero-shot val epoch)."""
    from kdgen.xkd.clip import ClipError, build_clip

    if clip["weights"] is not None:
        return build_clip(clip["arch"], clip["weights"], device)
    if checkpoint is None:
        raise ClipError("clip.weights is null, so the compact CLIP pretrained by the workflow is needed; pass its checkpoint")
    bundle = build_clip(clip["arch"], None, device)
    state = load_checkpoint(checkpoint)["model"]
    try:
        bundle.model.load_state_dict({k.removeprefix("clip."): v for k, v in state.items()})
    except RuntimeError as exc:
        raise ClipError(f"the pretrained compact CLIP {checkpoint} does not fit clip.arch = {clip['arch']!r} ({exc}); re-run xkd_clip_pretrain") from exc
    bundle.model.eval()
    return bundle


class AugmentedViewTeacher(torch.nn.Module):
    """T_x fed the CLIP embedding of the student's augmented view (``xkd.view: augmented``): the CLIP image
    tower runs on every batch the student sees (CLIP's own preprocessing of the augmented images), the
    arm's text is drawn as for the clean view (per id), and T_x's head reads the rows. The trainer guards
    the CLIP like any teacher (frozen, eval mode)."""

    def __init__(self, model: CrossmodalTeacher, meta: dict[str, Any], bundle: Any, emb: Embeddings) -> None:
        super().__init__()
        from kdgen.xkd.clip import clip_preprocess

        self.model, self.clip, self.preprocess = model, bundle.model, clip_preprocess
        self.arm, self.seed = parse_arm(meta["arm"]), int(meta["seed"])
        self.image_size, self.mean, self.std = bundle.image_size, bundle.mean, bundle.std
        self.emb = emb
        self.register_buffer("class_text", torch.from_numpy(emb.class_text).float())

    def forward(self, images: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        _, labels, ids = self.emb.take(ids.cpu().numpy())
        v = torch.nn.functional.normalize(self.clip.encode_image(self.preprocess(images, self.image_size, self.mean, self.std)).float(), dim=-1)
        return self.model(arm_inputs(self.arm, v, labels, ids, self.class_text, self.seed))


def augmented_view_teacher(path: str | os.PathLike[str], emb: Embeddings, bundle: Any, num_classes: int | None = None) -> AugmentedViewTeacher:
    """T_x as a distillation teacher that sees the student's augmented view through ``bundle``'s CLIP."""
    model, meta = load_crossmodal(path)
    if num_classes is not None and meta["num_classes"] != num_classes:
        raise TeacherError(f"crossmodal teacher {path} predicts {meta['num_classes']} classes, the student's data has {num_classes}")
    return AugmentedViewTeacher(model, meta, bundle, emb)


def distillation_teacher(
    checkpoint: str | os.PathLike[str], inputs: Any, settings: dict[str, Any], num_classes: int | None = None
) -> torch.nn.Module:
    """T_x as a student's teacher, built in the distillation job (the builder of the crossmodal teacher kind,
    :data:`kdgen.xkd.plan.CROSSMODAL_TEACHER`): over the clean view's CLIP embedding, looked up by id, or, with
    ``xkd.view: augmented``, over the CLIP embedding of the student's augmented view. ``inputs`` holds the
    ``embeddings`` file (and the compact CLIP's ``clip`` checkpoint where the augmented view needs it)."""
    emb = load_embeddings(inputs["embeddings"])
    if settings["view"] == "augmented":
        bundle = clip_bundle(settings["clip"], inputs.get("clip"), settings["device"])
        return augmented_view_teacher(checkpoint, emb, bundle, num_classes)
    return crossmodal_teacher(checkpoint, emb, num_classes)
