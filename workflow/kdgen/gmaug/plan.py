"""The gmaug study's runs and config checks, without torch (the Snakefile imports this at parse time).

Arms of a (dataset, generator, seed): ``step1`` (candidates filtered by the original classifier),
``step2`` (re-filtered by the step-1 classifier; with ``gmaug.step2``), and the ablations ``no_filter``
and ``random``. Classifier seed number i re-balances with the generator of ``generator_seeds[i mod n]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from kdgen.data.subsets import held_out_counts, long_tail_counts
from kdgen.plan import StudyPlan
from kdgen.train.plan import study_dataset_problems

ARMS = ("step1", "step2", "no_filter", "random")
PAPER_PROTOCOL = {"resolution": 32, "colour": "grey", "crop": "centre", "win_size": 7, "pairs": "consecutive", "n_pairs": None, "cross_subclass": False}


def gmaug_arms(gmaug: Mapping[str, Any]) -> list[str]:
    """The re-balanced classifiers of every (dataset, generator, seed), in table order."""
    return ["step1", *(["step2"] if gmaug.get("step2") else []), *gmaug.get("ablations", [])]


def generator_seed(gmaug: Mapping[str, Any], seed: int) -> int:
    """The generator seed the classifier seed ``seed`` re-balances with."""
    seeds, gens = list(gmaug["seeds"]), list(gmaug["generator_seeds"])
    return int(gens[seeds.index(int(seed)) % len(gens)])


def dataset_target(gmaug: Mapping[str, Any], dataset: str) -> int | str:
    """The target count of ``dataset``: its own ``target`` when it has one, else ``gmaug.target``."""
    return gmaug["datasets"][dataset].get("target", gmaug["target"])


def ssim_protocols(gmaug: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The SSIM-supSubCls protocols of the table: the authors' latest script (``paper``: 32x32 grey,
    consecutive pairs of a shuffle) and the configured one (``config``), seeded alike."""
    cfg = dict(gmaug["ssim"])
    seed = cfg.pop("seed")
    return {"paper": {**PAPER_PROTOCOL, "seed": seed}, "config": {**cfg, "seed": seed}}


def target_counts(counts: np.ndarray, target: int | str) -> np.ndarray:
    """The count each class is topped up to: the largest class (``max``) or a number, never below a
    class's own count (a number below one is an error)."""
    counts = np.asarray(counts, dtype=np.int64)
    goal = int(counts.max()) if target == "max" else int(target)
    if goal < counts.max():
        raise ValueError(
            f"gmaug.target = {target}: below the {int(counts.max())} images of the largest class; "
            "re-balancing keeps every original, so use max or a number of at least that"
        )
    return np.full_like(counts, goal)


def candidate_counts(counts: np.ndarray, targets: np.ndarray, oversample: float) -> np.ndarray:
    """Candidates to generate per class: ``ceil(oversample x missing)``, 0 for classes at their target."""
    missing = np.maximum(np.asarray(targets) - np.asarray(counts), 0)
    return np.ceil(missing * float(oversample) - 1e-9).astype(np.int64)


def _subset_counts(spec: Mapping[str, Any], subset: str) -> np.ndarray | None:
    """Per-class counts of a long-tail subset of a synthetic dataset, where the config fixes them."""
    if spec["source"] != "synthetic" or not subset.startswith("lt-"):
        return None
    options = spec["options"]
    k = len(options["classes"])
    per_class = options["train_per_class"] - held_out_counts(np.array([options["train_per_class"]]), spec["val_fraction"])[0]
    n_max = spec["long_tail"]["n_max"] or int(per_class)
    return long_tail_counts(k, n_max, float(subset[3:]))


def gmaug_problems(config: Mapping[str, Any]) -> list[str]:
    """What the schema cannot see: datasets configured and with super-classes of two or more sub-classes,
    subsets and the architecture buildable, a target below a class's count, a probability threshold
    outside [0, 1), seeds of an arm that needs them, and external generators that name their samples."""
    g, datasets = config.get("gmaug", {}), config["datasets"]
    if not g.get("datasets"):
        return []
    block = {"datasets": {n: {"teacher_subset": s["subset"], "student_subset": s["subset"]} for n, s in g["datasets"].items()}, "teacher_arch": g["arch"], "student_arch": g["arch"]}
    problems = [p.replace("teacher_subset", "subset").replace("gmaug.teacher_arch", "gmaug.arch").replace("gmaug.student_arch", "gmaug.arch") for p in study_dataset_problems("gmaug", block, datasets, g["aug"])]
    problems = list(dict.fromkeys(problems))
    for name, entry in g["datasets"].items():
        spec = datasets.get(name)
        if spec is None:
            continue
        key = f"gmaug.datasets.{name}"
        supers = superclass_problems(key, spec)
        problems += supers
        if not supers and not entry["subset"].startswith("lt-") and spec["source"] not in ("image_folder",):
            problems.append(
                f"{key}.subset = {entry['subset']!r}: gmaug re-balances a long-tailed training set, and {entry['subset']!r} "
                f"of {spec['source']!r} is balanced (nothing to top up); use a long tail lt-R (datasets.{name}.long_tail.ratios)"
            )
        counts, target = _subset_counts(spec, entry["subset"]), dataset_target(g, name)
        if counts is not None and target != "max" and target < counts.max():
            where = f"{key}.target" if "target" in entry else "gmaug.target"
            problems.append(
                f"{where} = {target}: below the {int(counts.max())} images of the largest class of {name!r} "
                f"({entry['subset']}); re-balancing keeps every original, so use max or at least {int(counts.max())}"
            )
        if spec["source"] != "synthetic" and not entry["subset"].startswith("lt-") and entry["subset"] != "full":
            problems.append(f"{key}.subset = {entry['subset']!r}: a size-N subset is class-balanced; use lt-R or full (the source's own imbalance)")
    f = g["filter"]
    if f["score"] == "probability" and not 0 <= f["threshold"] < 1:
        problems.append(
            f"gmaug.filter.threshold = {f['threshold']}: a probability threshold lies in [0, 1); "
            "use e.g. 0.9, or score: logit for the published raw-logit thresholds (10 to 30)"
        )
    if f["score"] == "logit" and not math.isfinite(f["threshold"]):
        problems.append(f"gmaug.filter.threshold = {f['threshold']}: expected a finite number")
    if not g["generators"]:
        problems.append("gmaug.generators is empty: the study needs at least one class-conditional generator (biggan, diffusion or external)")
    if "original" in g["generators"]:
        problems.append("gmaug.generators.original: 'original' names the classifiers without generated images; give the generator another name")
    for name, spec in g["generators"].items():
        if spec["family"] != "external" and "samples" in spec:
            problems.append(f"gmaug.generators.{name}.samples = {spec['samples']!r}: only external generators read samples; remove it or set family: external")
        sizes = {ds: datasets[ds]["image_size"] for ds in g["datasets"] if ds in datasets}
        if spec["family"] == "diffusion":
            widths = spec["widths"]
            bad = [w for w in widths if w % spec["norm_groups"]]
            if bad:
                problems.append(f"gmaug.generators.{name}.widths = {widths}: {bad} not divisible by norm_groups = {spec['norm_groups']}")
            step = 2 ** (len(widths) - 1)
            odd = [f"{ds!r} ({size} px)" for ds, size in sizes.items() if size % step]
            if odd:
                problems.append(
                    f"gmaug.generators.{name}.widths = {widths}: {len(widths) - 1} down-samplings need an image side divisible "
                    f"by {step}, but not {', '.join(odd)}; use fewer widths"
                )
        if spec["family"] == "biggan":
            odd = [f"{ds!r} ({size} px)" for ds, size in sizes.items() if size < 8 or 4 * 2 ** round(math.log2(size / 4)) != size]
            if odd:
                problems.append(f"gmaug.generators.{name}: the BigGAN-style GAN needs 4 x 2^k px images (8, 16, 32, ...), not {', '.join(odd)}")
    if g["ssim"]["win_size"] % 2 == 0:
        problems.append(f"gmaug.ssim.win_size = {g['ssim']['win_size']}: the SSIM window needs an odd side, e.g. 7")
    return problems


# the super-class of each synthetic class below plane_figure.n.01 in WordNet 3.0 (a test checks it against
# WordNet), so that a config whose classes leave a super-class with one sub-class fails at parse time
PLANE_FIGURE_SUPERCLASSES = {
    **dict.fromkeys(
        ["triangle.n.01", "square.n.01", "pentagon.n.03", "hexagon.n.01", "heptagon.n.01", "octagon.n.01",
         "rectangle.n.01", "rhombus.n.01", "trapezoid.n.01", "parallelogram.n.01"],
        "polygon.n.01",
    ),
    "circle.n.01": "conic_section.n.01",
    "ellipse.n.01": "conic_section.n.01",
    **{n: n for n in ("star.n.05", "heart.n.07", "semicircle.n.01", "sector.n.01")},
}


def lonely_superclasses(superclass_of: Mapping[str, str | None]) -> list[str]:
    """Super-classes with fewer than two sub-classes, described ("star.n.05 (only star.n.05)")."""
    members: dict[str, list[str]] = {}
    for cls, sup in superclass_of.items():
        members.setdefault(str(sup), []).append(cls)
    return [f"{sup} (only {', '.join(m)})" for sup, m in members.items() if len(m) < 2]


def superclass_problems(key: str, spec: Mapping[str, Any]) -> list[str]:
    """A dataset SSIM-supSubCls cannot measure: a source without super-classes, an image folder without a
    super-class map, synthetic classes (below plane_figure.n.01) that leave a super-class with one
    sub-class. Other hierarchies are checked in the SSIM job, from the dataset's manifest."""
    if spec["source"] == "synthetic":
        if spec["options"]["superclass_root"] != "plane_figure.n.01":
            return []
        lonely = lonely_superclasses({c: PLANE_FIGURE_SUPERCLASSES[c] for c in spec["options"]["classes"]})
        if lonely:
            return [
                f"{key}: super-classes {'; '.join(lonely)} have one sub-class; SSIM-supSubCls compares sub-classes inside a "
                "super-class, so give each at least two classes (polygons: triangle, square, ...; conic sections: circle, ellipse)"
            ]
        return []
    if spec["source"] in ("digits", "cifar10", "flowers102", "celeba", "lsun"):
        return [f"{key}: the {spec['source']!r} source has no super-classes; SSIM-supSubCls needs them (cifar100, synthetic, or image_folder with a superclass_map)"]
    if spec["source"] == "image_folder" and not spec["options"].get("superclass_map"):
        return [f"{key}: an image_folder dataset needs options.superclass_map (CSV class,superclass) for SSIM-supSubCls"]
    return []


PLAN = StudyPlan("gmaug", problems=gmaug_problems)
