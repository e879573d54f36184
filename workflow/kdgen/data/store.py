"""The on-disk form of a materialised dataset: one .npz of uint8 images and labels, one JSON manifest.

``images`` (N, H, W, C) uint8, ``labels`` (N,) int64 class indices, ``split`` (N,) uint8 with the
source's own split (0 = train, 1 = test). The manifest names every class (with its WordNet id where
one applies and its super-class), counts them per source split, says where the data came from, and
holds a SHA-256 of the array contents that :func:`load_dataset` checks.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kdgen.runtime import DamagedFileError, atomic_path, atomic_write_text, damaged, file_problem

SOURCE_SPLITS = ("train", "test")


@dataclass
class ClassInfo:
    name: str
    wnid: str | None = None
    superclass: str | None = None


@dataclass
class ImageDataset:
    images: np.ndarray
    labels: np.ndarray
    split: np.ndarray
    classes: list[ClassInfo]
    source: str
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.images = np.ascontiguousarray(self.images)
        self.labels = np.asarray(self.labels, dtype=np.int64)
        self.split = np.asarray(self.split, dtype=np.uint8)
        if self.images.dtype != np.uint8 or self.images.ndim != 4 or self.images.shape[-1] not in (1, 3):
            raise ValueError(f"images must be uint8 (N, H, W, 1|3), got {self.images.dtype} {self.images.shape}")
        n = len(self.images)
        if self.labels.shape != (n,) or self.split.shape != (n,):
            raise ValueError(f"labels {self.labels.shape} and split {self.split.shape} must have shape ({n},)")
        if n and (self.labels.min() < 0 or self.labels.max() >= len(self.classes)):
            raise ValueError(f"labels must lie in [0, {len(self.classes)}), got [{self.labels.min()}, {self.labels.max()}]")
        if n and self.split.max() >= len(SOURCE_SPLITS):
            raise ValueError(f"split values must be 0 (train) or 1 (test), got {sorted(set(self.split.tolist()))}")

    def class_counts(self, split: str) -> np.ndarray:
        mask = self.split == SOURCE_SPLITS.index(split)
        return np.bincount(self.labels[mask], minlength=len(self.classes))


def content_sha256(images: np.ndarray, labels: np.ndarray, split: np.ndarray) -> str:
    """SHA-256 over the shapes, dtypes and bytes of the three arrays (independent of the zip container)."""
    digest = hashlib.sha256()
    for arr in (images, labels, split):
        digest.update(f"{arr.dtype.str}{arr.shape}".encode())
        digest.update(np.ascontiguousarray(arr).tobytes())
    return digest.hexdigest()


def manifest_of(ds: ImageDataset, name: str) -> dict[str, Any]:
    """The JSON manifest of ``ds``: classes with counts, super-classes, source, shape and checksum."""
    counts = {s: ds.class_counts(s) for s in SOURCE_SPLITS}
    classes = [
        {
            "index": i,
            "name": c.name,
            "wnid": c.wnid,
            "superclass": c.superclass,
            **{f"count_{s}": int(counts[s][i]) for s in SOURCE_SPLITS},
        }
        for i, c in enumerate(ds.classes)
    ]
    superclasses = sorted({c.superclass for c in ds.classes if c.superclass is not None})
    return {
        "name": name,
        "source": ds.source,
        "num_images": int(len(ds.images)),
        "image_shape": list(ds.images.shape[1:]),
        "num_classes": len(ds.classes),
        "classes": classes,
        "superclasses": superclasses,
        "counts": {s: int(counts[s].sum()) for s in SOURCE_SPLITS},
        "sha256": content_sha256(ds.images, ds.labels, ds.split),
        "details": ds.details,
    }


def save_dataset(ds: ImageDataset, images_path: str | os.PathLike[str], manifest_path: str | os.PathLike[str], name: str) -> dict[str, Any]:
    """Write the arrays and the manifest; each file appears under its final name only when complete."""
    images_path, manifest_path = Path(images_path), Path(manifest_path)
    manifest = manifest_of(ds, name)
    with atomic_path(images_path) as tmp, tmp.open("wb") as fh:
        np.savez(fh, images=ds.images, labels=ds.labels, split=ds.split)
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2) + "\n")
    return manifest


class ChecksumError(DamagedFileError):
    """The arrays on disk do not match the checksum in their manifest."""


MANIFEST_KEYS = ("source", "classes", "sha256", "details")
CLASS_KEYS = ("name", "wnid", "superclass")


def load_manifest(manifest_path: str | os.PathLike[str]) -> dict[str, Any]:
    """A dataset's manifest, checked: valid JSON, an object with the keys the workflow reads."""
    why = file_problem(manifest_path)
    if why:
        raise damaged(manifest_path, why)
    manifest = json.loads(Path(manifest_path).read_text())
    if not isinstance(manifest, dict):
        raise damaged(manifest_path, f"expected a JSON object, found {type(manifest).__name__}")
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    if missing:
        raise damaged(manifest_path, f"no {', '.join(missing)} in it")
    if not isinstance(manifest["classes"], list) or any(not isinstance(c, dict) or any(k not in c for k in CLASS_KEYS) for c in manifest["classes"]):
        raise damaged(manifest_path, f"its classes are not a list of objects with {', '.join(CLASS_KEYS)}")
    return manifest


def load_dataset(images_path: str | os.PathLike[str], manifest_path: str | os.PathLike[str], verify: bool = True) -> ImageDataset:
    """Read a materialised dataset back; with ``verify`` the content checksum must match the manifest.
    A damaged file raises :class:`DamagedFileError` naming it."""
    manifest = load_manifest(manifest_path)
    why = file_problem(images_path)
    if why:
        raise damaged(images_path, why)
    try:
        with np.load(images_path) as data:
            images, labels, split = data["images"], data["labels"], data["split"]
    except (KeyError, ValueError, OSError, EOFError) as err:
        raise damaged(images_path, f"{type(err).__name__}: {err}") from None
    if verify:
        actual = content_sha256(images, labels, split)
        if actual != manifest["sha256"]:
            raise ChecksumError(
                f"{images_path}: content SHA-256 {actual} does not match {manifest['sha256']} in {manifest_path}; "
                "the file was changed or truncated: delete it and re-run its rule"
            )
    classes = [ClassInfo(c["name"], c["wnid"], c["superclass"]) for c in manifest["classes"]]
    return ImageDataset(images, labels, split, classes, manifest["source"], manifest["details"])
