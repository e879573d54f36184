"""Dataset sources: build an :class:`ImageDataset` from a procedure, a package, or files on disk.

Procedural and packaged sources need nothing from outside: ``synthetic`` (WordNet plane figures) and
``digits`` (scikit-learn's 8x8 handwritten digits). The readers of real datasets take the files in
their published on-disk formats from a local folder, and :func:`download` fetches them for users
with network access.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kdgen.data.store import ClassInfo, ImageDataset
from kdgen.data.subsets import stratified_holdout
from kdgen.runtime import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".ppm", ".tif", ".tiff")

#: CIFAR-10 class names and the WordNet noun each one names.
CIFAR10_WNIDS = {
    "airplane": "n02691156",
    "automobile": "n02958343",
    "bird": "n01503061",
    "cat": "n02121620",
    "deer": "n02430045",
    "dog": "n02084071",
    "frog": "n01639765",
    "horse": "n02374451",
    "ship": "n04194289",
    "truck": "n04490091",
}

#: LSUN scene categories and the WordNet noun each one names.
LSUN_WNIDS = {
    "bedroom": "n02821627",
    "bridge": "n02898711",
    "church_outdoor": "n03028079",
    "classroom": "n03038685",
    "conference_room": "n03089879",
    "dining_room": "n03200701",
    "kitchen": "n03619890",
    "living_room": "n03679712",
    "restaurant": "n04081281",
    "tower": "n04460130",
}

#: Where each real dataset comes from, for error messages and the docs.
HOW_TO_GET = {
    "cifar10": "CIFAR-10 python version (cifar-10-python.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html",
    "cifar100": "CIFAR-100 python version (cifar-100-python.tar.gz) from https://www.cs.toronto.edu/~kriz/cifar.html",
    "flowers102": "Oxford Flowers-102 (102flowers.tgz, imagelabels.mat, setid.mat) from https://www.robots.ox.ac.uk/~vgg/data/flowers/102/",
    "celeba": "CelebA aligned images (img_align_celeba/) and list_eval_partition.txt from https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html",
    "lsun": "LSUN scene LMDB databases (e.g. bedroom_train_lmdb) from https://www.yf.io/p/lsun",
    "image_folder": "any folder with one sub-folder of images per class (optionally train/ and test/ above them)",
}


class DatasetNotFound(InputError, FileNotFoundError):
    """A real dataset is not where the config says it is."""


def not_found(source: str, looked: Sequence[Path], expected: str) -> DatasetNotFound:
    where = "\n  - ".join(str(p) for p in looked)
    return DatasetNotFound(
        f"{source}: {expected} not found. Looked in:\n  - {where}\n"
        f"Get it: {HOW_TO_GET[source]}, unpack it there and set `root` of this dataset in the config "
        "to that folder; or set `download: true` to let the workflow fetch it (needs network access)."
    )


# ----------------------------------------------------------------------------- resizing


def resize_square(images: np.ndarray, size: int) -> np.ndarray:
    """Centre-crop uint8 images (N, H, W, C) to a square and resize to ``size`` (bilinear, antialiased)."""
    import torch
    import torch.nn.functional as F

    n, h, w, c = images.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    images = images[:, top : top + side, left : left + side]
    if side == size:
        return np.ascontiguousarray(images)
    out = np.empty((n, size, size, c), dtype=np.uint8)
    for start in range(0, n, 4096):
        x = torch.from_numpy(np.ascontiguousarray(images[start : start + 4096])).permute(0, 3, 1, 2).float()
        y = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out[start : start + 4096] = y.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    return out


def read_image(data: str | Path | bytes, size: int) -> np.ndarray:
    """Decode one image file (path or bytes) to RGB, centre-crop to a square, resize: (size, size, 3) uint8."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as img:
        fitted = ImageOps.fit(img.convert("RGB"), (size, size), method=Image.Resampling.BICUBIC)
        return np.asarray(fitted, dtype=np.uint8)


def _read_images(files: Sequence[Any], size: int, progress: bool) -> np.ndarray:
    items = files
    if progress:
        from tqdm import tqdm

        items = tqdm(files, desc="decode", unit="img")
    from PIL import UnidentifiedImageError

    out = np.empty((len(files), size, size, 3), dtype=np.uint8)
    for i, item in enumerate(items):
        try:
            out[i] = read_image(item, size)
        except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as err:
            name = f"image {i} of the database" if isinstance(item, bytes) else str(item)
            raise InputError(f"{name}: cannot decode this image ({type(err).__name__}: {err}); replace the file or remove it") from None
    return out


# ----------------------------------------------------------------------------- built-in sources


def _synset(wordnet: Any, name: str, key: str) -> Any:
    """``wordnet.synset(name)``, or a one-line config error naming ``key`` (NLTK raises a KeyError chained
    into a WordNetError for a misspelt lemma, a ValueError for a malformed name)."""
    try:
        return wordnet.synset(name)
    except Exception as err:  # noqa: BLE001 - NLTK's errors for unknown names vary by kind
        raise InputError(
            f"config error: {key} = {name!r}: not a WordNet noun synset ({type(err).__name__}: {err}); "
            "write it as lemma.n.NN, e.g. plane_figure.n.01"
        ) from None


def make_synthetic(
    options: Mapping[str, Any], image_size: int, seed: int, wordnet: Any, progress: bool = False, key: str = "options"
) -> ImageDataset:
    """The procedural plane-figure family; ``wordnet`` is NLTK's reader (see :mod:`kdgen.data.wordnet`);
    ``key`` is where ``options`` sit in the config (for messages)."""
    from kdgen.data import synthetic
    from kdgen.data.wordnet import superclass_below, wnid

    root = _synset(wordnet, options["superclass_root"], f"{key}.superclass_root")
    synsets = [_synset(wordnet, name, f"{key}.classes") for name in options["classes"]]
    supers = []
    for s in synsets:
        try:
            supers.append(superclass_below(s, root))
        except ValueError:
            raise InputError(
                f"config error: {key}.superclass_root = {options['superclass_root']!r}: not a hypernym of the class "
                f"{s.name()!r} (every class needs one below the root); choose a root above every class, e.g. plane_figure.n.01"
            ) from None
    classes = [
        ClassInfo(s.lemmas()[0].name(), wnid(s), sup.lemmas()[0].name()) for s, sup in zip(synsets, supers)
    ]
    fields = synthetic.canonical_fields(
        options["classes"], [c.superclass for c in classes], options["sibling_similarity"]
    )
    parts = []
    for split_id, key in enumerate(("train_per_class", "test_per_class")):
        labels = synthetic.balanced_labels(len(classes), int(options[key]))
        stream_seed = int(np.random.SeedSequence([seed, split_id]).generate_state(1)[0])
        images = synthetic.render(
            labels, fields, options["factors"], image_size, stream_seed, progress,
            options.get("texture_contrast", 0.0), options.get("noise_strength", 1.0),
        )
        parts.append((images, labels, np.full(len(labels), split_id, dtype=np.uint8)))
    images, labels, split = (np.concatenate(x) for x in zip(*parts))
    details = {
        "synsets": list(options["classes"]),
        "superclass_root": options["superclass_root"],
        "factors": list(options["factors"]),
        "sibling_similarity": options["sibling_similarity"],
        "texture_contrast": options.get("texture_contrast", 0.0),
        "noise_strength": options.get("noise_strength", 1.0),
        "wordnet_version": wordnet.get_version(),
    }
    return ImageDataset(images, labels, split, classes, "synthetic", details)


DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def make_digits(options: Mapping[str, Any], image_size: int, seed: int) -> ImageDataset:
    """scikit-learn's 1,797 real 8x8 handwritten digits (UCI), upsampled; test split held out, stratified."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)[..., None]
    images = resize_square(images, image_size)
    labels = bunch.target.astype(np.int64)
    _, test = stratified_holdout(labels, float(options["test_fraction"]), seed)
    split = np.zeros(len(labels), dtype=np.uint8)
    split[test] = 1
    classes = [ClassInfo(name, None, "digit") for name in DIGIT_NAMES]
    return ImageDataset(images, labels, split, classes, "digits", {"origin": "sklearn.datasets.load_digits (UCI ML hand-written digits)"})


# ----------------------------------------------------------------------------- real datasets


def _first_existing(candidates: Sequence[Path], check: Callable[[Path], bool]) -> Path | None:
    return next((p for p in candidates if check(p)), None)


def _unpickle(path: Path) -> dict[bytes, Any]:
    with path.open("rb") as fh:
        return pickle.load(fh, encoding="bytes")


def _cifar_images(batch: Mapping[bytes, Any]) -> np.ndarray:
    return np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def read_cifar10(root: str | Path, image_size: int) -> ImageDataset:
    """CIFAR-10 from its python pickles (``cifar-10-batches-py``)."""
    root = Path(root)
    folder = _first_existing([root / "cifar-10-batches-py", root], lambda p: (p / "batches.meta").is_file())
    if folder is None:
        raise not_found("cifar10", [root / "cifar-10-batches-py", root], "batches.meta with data_batch_1..5 and test_batch")
    names = [n.decode() for n in _unpickle(folder / "batches.meta")[b"label_names"]]
    parts = []
    for split_id, files in enumerate(([f"data_batch_{i}" for i in range(1, 6)], ["test_batch"])):
        for name in files:
            batch = _unpickle(folder / name)
            parts.append((_cifar_images(batch), np.asarray(batch[b"labels"]), np.full(len(batch[b"labels"]), split_id)))
    images, labels, split = (np.concatenate(x) for x in zip(*parts))
    classes = [ClassInfo(n, CIFAR10_WNIDS.get(n), None) for n in names]
    return ImageDataset(resize_square(images, image_size), labels, split, classes, "cifar10", {"root": str(folder)})


def read_cifar100(root: str | Path, image_size: int) -> ImageDataset:
    """CIFAR-100 from its python pickles: fine labels are the classes, the 20 coarse labels their super-classes."""
    root = Path(root)
    folder = _first_existing([root / "cifar-100-python", root], lambda p: (p / "meta").is_file())
    if folder is None:
        raise not_found("cifar100", [root / "cifar-100-python", root], "meta, train and test")
    meta = _unpickle(folder / "meta")
    fine_names = [n.decode() for n in meta[b"fine_label_names"]]
    coarse_names = [n.decode() for n in meta[b"coarse_label_names"]]
    parts = []
    fine_to_coarse: dict[int, int] = {}
    for split_id, name in enumerate(("train", "test")):
        batch = _unpickle(folder / name)
        fine, coarse = np.asarray(batch[b"fine_labels"]), np.asarray(batch[b"coarse_labels"])
        for f, c in set(zip(fine.tolist(), coarse.tolist())):
            if fine_to_coarse.setdefault(f, c) != c:
                raise ValueError(f"{folder / name}: fine class {f} appears under two coarse classes")
        parts.append((_cifar_images(batch), fine, np.full(len(fine), split_id)))
    images, labels, split = (np.concatenate(x) for x in zip(*parts))
    classes = [
        ClassInfo(n, None, coarse_names[fine_to_coarse[i]] if i in fine_to_coarse else None)
        for i, n in enumerate(fine_names)
    ]
    return ImageDataset(resize_square(images, image_size), labels, split, classes, "cifar100", {"root": str(folder)})


def read_flowers102(root: str | Path, image_size: int, progress: bool = False, all_images: bool = False) -> ImageDataset:
    """Oxford Flowers-102: ``jpg/image_XXXXX.jpg``, ``imagelabels.mat`` and ``setid.mat``.

    The published train and validation ids form the source train split (the workflow holds its own
    validation split out of it); the published test ids form the test split. With ``all_images`` every
    image is in the train split and the test split is empty (Feng et al. trained their GANs on all 8,189).
    """
    from scipy.io import loadmat

    root = Path(root)
    folder = _first_existing([root / "flowers-102", root], lambda p: (p / "imagelabels.mat").is_file())
    if folder is None:
        raise not_found("flowers102", [root / "flowers-102", root], "jpg/, imagelabels.mat and setid.mat")
    labels_all = loadmat(folder / "imagelabels.mat")["labels"].ravel().astype(np.int64) - 1
    setid = loadmat(folder / "setid.mat")
    ids = [np.concatenate([setid["trnid"].ravel(), setid["valid"].ravel()]), setid["tstid"].ravel()]
    order = np.concatenate(ids).astype(np.int64)
    split = np.concatenate([np.full(len(i), 0 if all_images else s) for s, i in enumerate(ids)])
    files = [folder / "jpg" / f"image_{i:05d}.jpg" for i in order]
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise not_found("flowers102", [folder / "jpg"], f"{len(missing)} images such as {missing[0].name}")
    images = _read_images(files, image_size, progress)
    classes = [ClassInfo(f"flower_{i + 1:03d}", None, None) for i in range(int(labels_all.max()) + 1)]
    return ImageDataset(images, labels_all[order - 1], split, classes, "flowers102", {"root": str(folder)})


def read_celeba(
    root: str | Path, image_size: int, attribute: str | None = None, max_images: int | None = None, progress: bool = False
) -> ImageDataset:
    """CelebA aligned faces with ``list_eval_partition.txt`` (0 train, 1 valid -> train; 2 test).

    One class ``face`` by default; with ``attribute`` (a column of ``list_attr_celeba.txt``) two
    classes, ``not_<attribute>`` and ``<attribute>``. ``max_images`` keeps the first images of each
    source split, in file order.
    """
    root = Path(root)
    folder = _first_existing([root / "celeba", root], lambda p: (p / "list_eval_partition.txt").is_file())
    if folder is None or not (folder / "img_align_celeba").is_dir():
        raise not_found("celeba", [root / "celeba", root], "img_align_celeba/ and list_eval_partition.txt")
    rows = [line.split() for line in (folder / "list_eval_partition.txt").read_text().splitlines() if line.strip()]
    names = [r[0] for r in rows]
    split = np.asarray([0 if int(r[1]) < 2 else 1 for r in rows], dtype=np.uint8)
    labels = np.zeros(len(names), dtype=np.int64)
    classes = [ClassInfo("face", "n05600637", None)]
    if attribute is not None:
        lines = (folder / "list_attr_celeba.txt").read_text().splitlines()
        header = lines[1].split()
        if attribute not in header:
            raise KeyError(f"celeba attribute {attribute!r} not in list_attr_celeba.txt; choose one of {header}")
        col = header.index(attribute) + 1
        values = {parts[0]: int(parts[col]) > 0 for parts in (line.split() for line in lines[2:]) if parts}
        labels = np.asarray([int(values[n]) for n in names], dtype=np.int64)
        classes = [ClassInfo(f"not_{attribute}", None, None), ClassInfo(attribute, None, None)]
    keep = np.arange(len(names))
    if max_images is not None:
        keep = np.concatenate([np.flatnonzero(split == s)[:max_images] for s in (0, 1)])
    images = _read_images([folder / "img_align_celeba" / names[i] for i in keep], image_size, progress)
    return ImageDataset(images, labels[keep], split[keep], classes, "celeba", {"root": str(folder), "attribute": attribute})


def read_lsun(
    root: str | Path, category: str, image_size: int, max_images: int | None = None, progress: bool = False
) -> ImageDataset:
    """An LSUN scene category from its LMDB databases ``<category>_train_lmdb`` and ``<category>_val_lmdb``.

    Values are encoded images (WebP or JPEG). ``max_images`` keeps the first images of each database
    in key order (the train database of bedroom alone holds about three million).
    """
    import lmdb

    root = Path(root)
    dbs = [root / f"{category}_train_lmdb", root / f"{category}_val_lmdb"]
    if not (dbs[0] / "data.mdb").is_file():
        raise not_found("lsun", [dbs[0]], f"{category}_train_lmdb/data.mdb")
    parts = []
    for split_id, db in enumerate(dbs):
        if not (db / "data.mdb").is_file():
            continue
        env = lmdb.open(str(db), readonly=True, lock=False, readahead=False, meminit=False)
        with env.begin(write=False) as txn:
            blobs = []
            for _, value in txn.cursor():
                if max_images is not None and len(blobs) >= max_images:
                    break
                blobs.append(bytes(value))
        env.close()
        parts.append((_read_images(blobs, image_size, progress), np.full(len(blobs), split_id)))
    images = np.concatenate([p[0] for p in parts])
    split = np.concatenate([p[1] for p in parts])
    classes = [ClassInfo(category, LSUN_WNIDS.get(category), None)]
    return ImageDataset(images, np.zeros(len(images)), split, classes, "lsun", {"root": str(root), "category": category})


def read_superclass_map(path: str | Path) -> dict[str, str]:
    """A CSV file with header ``class,superclass``: one row per class folder."""
    import csv

    with Path(path).open(newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"class", "superclass"} <= set(reader.fieldnames):
            raise InputError(f"{path}: expected a CSV header 'class,superclass', got {reader.fieldnames}")
        return {row["class"]: row["superclass"] for row in reader}


def read_image_folder(
    root: str | Path,
    image_size: int,
    seed: int,
    test_fraction: float,
    superclass_map: str | Path | None = None,
    progress: bool = False,
) -> ImageDataset:
    """``root/<class>/<image>`` (all train, a stratified test split held out) or ``root/{train,test}/<class>/<image>``.

    Class folder names that are WordNet ids (``n01234567``) are recorded as such. With
    ``superclass_map`` (CSV ``class,superclass``) every class must have a row.
    """
    root = Path(root)
    if not root.is_dir():
        raise not_found("image_folder", [root], "the folder")
    split_dirs = [root / "train", root / "test"] if (root / "train").is_dir() and (root / "test").is_dir() else [root]
    class_names = sorted({d.name for s in split_dirs for d in s.iterdir() if d.is_dir()})
    if not class_names:
        raise not_found("image_folder", split_dirs, "class sub-folders")
    files, labels, split = [], [], []
    for split_id, s in enumerate(split_dirs):
        for label, name in enumerate(class_names):
            found = sorted(p for p in (s / name).glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if (s / name).is_dir() else []
            files += found
            labels += [label] * len(found)
            split += [split_id] * len(found)
    labels_arr = np.asarray(labels, dtype=np.int64)
    split_arr = np.asarray(split, dtype=np.uint8)
    if len(class_names) < 2:
        raise InputError(f"{root}: image_folder has {len(class_names)} class folder ({class_names[0]}); a classifier needs at least 2 classes")
    for split_id, s_dir in enumerate(split_dirs):
        counts = np.bincount(labels_arr[split_arr == split_id], minlength=len(class_names))
        empty = [class_names[i] for i in np.flatnonzero(counts == 0)]
        if empty:
            raise InputError(
                f"{s_dir}: class folder(s) {empty} hold no images ({'/'.join(IMAGE_SUFFIXES)}); a class without images "
                "has no accuracy: add images or remove the folder(s)"
            )
    if len(split_dirs) == 1:
        _, test = stratified_holdout(labels_arr, test_fraction, seed)
        split_arr[test] = 1
    supers: dict[str, str] = {}
    if superclass_map is not None:
        supers = read_superclass_map(superclass_map)
        missing = [c for c in class_names if c not in supers]
        if missing:
            raise InputError(f"{superclass_map}: no super-class for classes {missing}; add a row class,superclass for each")
    classes = [
        ClassInfo(name, name if (len(name) == 9 and name[0] == "n" and name[1:].isdigit()) else None, supers.get(name))
        for name in class_names
    ]
    images = _read_images(files, image_size, progress)
    return ImageDataset(images, labels_arr, split_arr, classes, "image_folder", {"root": str(root)})


# ----------------------------------------------------------------------------- dispatch and download

REAL_SOURCES = ("cifar10", "cifar100", "flowers102", "celeba", "lsun", "image_folder")
DOWNLOADABLE = ("cifar10", "cifar100", "flowers102", "celeba", "lsun")


def read_real(source: str, root: str | Path, image_size: int, seed: int, options: Mapping[str, Any], progress: bool = False) -> ImageDataset:
    """Read a real dataset from ``root`` in its published format."""
    if source == "cifar10":
        return read_cifar10(root, image_size)
    if source == "cifar100":
        return read_cifar100(root, image_size)
    if source == "flowers102":
        return read_flowers102(root, image_size, progress, bool(options.get("all_images", False)))
    if source == "celeba":
        return read_celeba(root, image_size, options.get("attribute"), options.get("max_images"), progress)
    if source == "lsun":
        return read_lsun(root, options.get("category", "bedroom"), image_size, options.get("max_images"), progress)
    if source == "image_folder":
        return read_image_folder(root, image_size, seed, float(options.get("test_fraction", 0.2)), options.get("superclass_map"), progress)
    raise ValueError(f"unknown real dataset source {source!r}; known: {REAL_SOURCES}")


def download(source: str, target: str | Path, options: Mapping[str, Any]) -> None:
    """Fetch a real dataset into ``target`` in the layout its reader expects (needs network access)."""
    import torchvision.datasets as tvd

    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    if source == "cifar10":
        tvd.CIFAR10(str(target), download=True)
    elif source == "cifar100":
        tvd.CIFAR100(str(target), download=True)
    elif source == "flowers102":
        tvd.Flowers102(str(target), download=True)
    elif source == "celeba":
        tvd.CelebA(str(target), split="all", target_type="attr", download=True)
    elif source == "lsun":
        import urllib.request
        import zipfile

        category = options.get("category", "bedroom")
        for part in ("train", "val"):
            name = f"{category}_{part}_lmdb.zip"
            archive = target / name
            urllib.request.urlretrieve(f"http://dl.yf.io/lsun/scenes/{name}", archive)
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(target)
            archive.unlink()
    else:
        raise ValueError(f"{source!r} has no download; downloadable: {DOWNLOADABLE}")


def check_real_sources(datasets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Problems with the configured real datasets that can be seen before any job runs."""
    problems = []
    for name, spec in datasets.items():
        source, options = spec["source"], spec["options"]
        if source not in REAL_SOURCES:
            continue
        key = f"datasets.{name}.options"
        if options.get("download"):
            if source not in DOWNLOADABLE:
                problems.append(f"{key}.download = true: {source} has no download; set download: false and root")
            continue
        root = options.get("root")
        if root is None:
            problems.append(
                f"{key}.root is not set: expected the folder holding {HOW_TO_GET[source]}; "
                "set root to it, or download: true to fetch it (needs network access)"
            )
        elif not Path(root).exists():
            problems.append(
                f"{key}.root = {root!r}: no such folder; expected it to hold {HOW_TO_GET[source]}; "
                "fix the path, or set download: true to fetch it (needs network access)"
            )
        superclass_map = options.get("superclass_map")
        if superclass_map is not None and not Path(superclass_map).is_file():
            problems.append(f"{key}.superclass_map = {superclass_map!r}: no such file; expected a CSV with header class,superclass")
    return problems


def rgb_at(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 images (N, H, W, C) as three-channel ``size`` x ``size`` images (grey repeated)."""
    out = resize_square(images, size)
    return np.ascontiguousarray(out.repeat(3, axis=-1)) if out.shape[-1] == 1 else out


def read_external_samples(path: str | Path, size: int, limit: int | None = None) -> np.ndarray:
    """Samples a generator made elsewhere: an .npz (its ``samples`` array, or its only array, uint8
    (N, H, W, C)) or a folder of image files (sorted by name); returned as (N, size, size, 3) uint8,
    the first ``limit`` of them."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:limit]
        if not files:
            raise FileNotFoundError(f"{path}: no image files ({', '.join(IMAGE_SUFFIXES)})")
        return _read_images(files, size, progress=False)
    if not path.is_file():
        raise FileNotFoundError(f"external samples not found at {path}: check ganrep.generators.<name>.samples in the config")
    with np.load(path) as data:
        keys = list(data.keys())
        if "samples" in keys:
            images = data["samples"]
        elif len(keys) == 1:
            images = data[keys[0]]
        else:
            raise KeyError(f"{path}: expected an array named 'samples' (or a single array), found {keys}")
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise ValueError(f"{path}: expected uint8 images (N, H, W[, C]), got {images.dtype} {images.shape}")
    if images.ndim == 3:
        images = images[..., None]
    return rgb_at(images[:limit], size)
