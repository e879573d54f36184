# Config validation, wildcard constraints, target lists and input functions shared by every rules file.
import os
import re
import sys
from types import SimpleNamespace

# The workflow runs its own library, from its own folder: found from this file (workflow/rules/), not
# from the working directory or the host's Snakefile when kdgen is used as a module, and put first on the
# import path of this process and of every job (scripts, SLURM jobs and --sdm conda envs inherit it).
KDGEN_ROOT = os.path.dirname(os.path.dirname(str(workflow.current_basedir)))
KDGEN_LIBRARY = os.path.join(KDGEN_ROOT, "workflow")
sys.path.insert(0, KDGEN_LIBRARY)
_inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != KDGEN_LIBRARY]
os.environ.update(PYTHONPATH=os.pathsep.join([KDGEN_LIBRARY, *_inherited]))

from kdgen.config import ConfigError, validate_config
from kdgen.data.sources import check_real_sources
from kdgen.models.names import ARCH_PATTERN
from kdgen.train.policies import POLICY_PATTERN
from kdgen.gmaug.plan import dataset_target, generator_seed, gmaug_arms, gmaug_problems, ssim_protocols
from kdgen.train.runs import (
    all_students,
    check_runs,
    find_student,
    ganrep_sizes,
    lfkd_baselines,
    lfkd_pool,
    lfkd_students,
    method_label,
    student_runs,
    student_teachers,
    subset_names,
    teacher_set_label,
    trained_classifier_runs,
    classifier_teachers,
    xkd_arms,
    xkd_baselines,
    xkd_students,
)

try:
    _validated = validate_config(
        config,
        source=", ".join(map(str, workflow.overwrite_configfiles)) or "config.yaml",
    )
    _problems = (
        check_real_sources(_validated["datasets"])
        + check_runs(_validated)
        + gmaug_problems(_validated, _validated["datasets"])
    )
    if _problems:
        raise ConfigError("config error:\n  - " + "\n  - ".join(_problems))
except ConfigError as err:
    print(err, file=sys.stderr)
    sys.exit(1)
config.clear()
config.update(_validated)


def names_pattern(names):
    """A wildcard regex matching exactly the given names (and nothing when there are none)."""
    return "|".join(re.escape(n) for n in names) or "(?!x)x"


# Wildcards match only configured datasets and generators and buildable architectures and policies, so
# a misspelt target is "no rule to produce" at planning time, never a KeyError or a failed job.
wildcard_constraints:
    dataset=names_pattern(config["datasets"]),
    subset=r"size-[0-9]+|lt-[0-9]+(\.[0-9]+)?",
    train_subset=r"full|size-[0-9]+|lt-[0-9]+(\.[0-9]+)?",
    arch=ARCH_PATTERN,
    aug=POLICY_PATTERN,
    seed=r"[0-9]+",
    split=r"val|test",
    generator=names_pattern(config["ganrep"]["generators"]),
    size=r"[0-9]+",
    method=names_pattern(sorted({s["method"] for s in all_students(config)})),
    student=names_pattern(sorted({s["name"] for s in all_students(config)})),
    arm=names_pattern(xkd_arms(config)),
    gm_generator=names_pattern(config["gmaug"]["generators"]),
    gm_arm=names_pattern(gmaug_arms(config["gmaug"])),
    gseed=r"[0-9]+",


# Cheap rules run where snakemake runs, never waiting in a cluster queue; downloads run there too,
# because that is where the network is.
localrules:
    wordnet,
    download_dataset,
    split_dataset,
    subset_dataset,
    class_hierarchy,
    card_samples,
    card_class_counts,
    card_split_counts,
    learning_curve,
    student_learning_curve,
    classifier_table,
    model_zoo_table,
    resolved_config,
    ganrep_paper_fit,
    ganrep_paper_fit_figure,
    ganrep_table,
    ganrep_summary,
    ganrep_fits,
    ganrep_figure_replication_vs_id,
    ganrep_figure_replication_vs_size,
    ganrep_figure_one_shot,
    ganrep_figure_fid_vs_size,
    ganrep_figure_nearest_neighbours,
    data,
    train,
    distill,
    lfkd_table,
    lfkd_teacher_table,
    lfkd_figure_iou_vs_strength,
    lfkd_figure_overfitting_vs_iou,
    lfkd_figure_fidelity_vs_top1,
    lfkd_figure_attention_grid,
    lfkd,
    xkd_nouns,
    xkd_vocabulary,
    xkd_table,
    xkd_figure,
    xkd_figure_vocabulary,
    xkd_figure_retrievals,
    xkd_figure_clip,
    xkd_paper_fit,
    xkd,
    xkd_image_teachers,
    gmaug_table,
    gmaug_figure_gain,
    gmaug_figure_samples,
    gmaug_figure_learning_curves,
    gmaug_figure_class_counts,
    gmaug_paper_fit,
    gmaug_paper_fit_figure,
    gmaug,
    ganrep,
    built,
    all,


DATA = "results/data/{dataset}"
# published measurements shipped with the workflow (found from the workflow's own folder, whatever the
# working directory, and from the module's folder when kdgen is used as a Snakemake module)
GANREP_PAPER = os.path.join(KDGEN_ROOT, "reference", "ganrep_paper.csv")
LOGS = "results/logs/data/{dataset}"
BENCH = "results/benchmarks/data/{dataset}"


def dataset_spec(wildcards):
    return config["datasets"][wildcards.dataset]


def materialise_inputs(wildcards):
    spec = dataset_spec(wildcards)
    inputs = {}
    if spec["source"] == "synthetic":
        inputs["wordnet"] = "results/wordnet/provenance.json"
    if spec["options"].get("download"):
        inputs["download"] = f"results/downloads/{wildcards.dataset}"
    return inputs


def data_root(wildcards, input):
    spec = dataset_spec(wildcards)
    return input.download if spec["options"].get("download") else spec["options"].get("root")


def card_subsets(wildcards):
    ratios = config["datasets"][wildcards.dataset]["long_tail"]["ratios"]
    return [f"{DATA}/subsets/lt-{r:g}.npy".format(dataset=wildcards.dataset) for r in ratios]


def card_targets(name):
    card = f"results/data/{name}/card"
    return [
        f"{card}/samples.png",
        f"{card}/samples.pdf",
        f"{card}/class_counts.png",
        f"{card}/class_counts.pdf",
        f"{card}/split_counts.csv",
        f"{card}/split_counts.md",
    ]


def data_targets():
    targets = []
    for name in config["datasets"]:
        base = f"results/data/{name}"
        targets += [
            f"{base}/manifest.json",
            f"{base}/splits.npz",
            f"{base}/hierarchy.csv",
        ]
        targets += [f"{base}/subsets/{s}.npy" for s in subset_names(config["datasets"][name])]
        targets += card_targets(name)
    return targets


TRAIN = "results/train/{dataset}/{train_subset}/{arch}/{aug}/seed-{seed}"
TRAIN_LOGS = "results/logs/train/{dataset}/{train_subset}/{arch}/{aug}/seed-{seed}"


def training_inputs(wildcards):
    inputs = {
        "images": f"results/data/{wildcards.dataset}/images.npz",
        "manifest": f"results/data/{wildcards.dataset}/manifest.json",
        "splits": f"results/data/{wildcards.dataset}/splits.npz",
    }
    if wildcards.train_subset != "full":
        inputs["subset"] = f"results/data/{wildcards.dataset}/subsets/{wildcards.train_subset}.npy"
    return inputs


def evaluation_inputs(wildcards):
    return {
        **training_inputs(wildcards),
        "checkpoint": f"{TRAIN}/best.pt".format(**wildcards),
    }


def resume_dir(wildcards):
    return f"{TRAIN}/.resume".format(**wildcards)


def arch_weights(wildcards):
    return config["models"]["weights"].get(wildcards.arch)


def run_dirs():
    """Every classifier run: the classifiers list and the students' teachers."""
    return [TRAIN.format(**run) for run in trained_classifier_runs(config)]


def classifier_table_runs():
    """Every run of the classifier table with its folder: classifiers (method ce) and students (<method>:<name>)."""
    runs = [
        {**run, "method": method_label(None), "teachers": "", "dir": TRAIN.format(**run)}
        for run in trained_classifier_runs(config)
    ]
    for run in student_runs(config):
        student = find_student(config, run)
        runs.append(
            {
                **{k: run[k] for k in ("dataset", "train_subset", "arch", "aug", "seed")},
                "method": method_label(student),
                "teachers": teacher_set_label(student),
                "dir": DISTILL.format(**run),
            }
        )
    return runs


def classifier_table_inputs(wildcards):
    runs = [r["dir"] for r in classifier_table_runs()]
    return {
        "metrics": [f"{r}/metrics.csv" for r in runs],
        "val": [f"{r}/eval-val.json" for r in runs],
        "test": [f"{r}/eval-test.json" for r in runs],
    }


def classifier_table_records(wildcards):
    """The table's keys of each run, in the order of its inputs."""
    return [{k: v for k, v in r.items() if k != "dir"} for r in classifier_table_runs()]


CLASSIFIER_TABLE = ["results/train/tables/classifiers.csv", "results/train/tables/classifiers.md"]


def train_targets():
    targets = [
        "results/train/tables/model_zoo.csv",
        "results/train/tables/model_zoo.md",
    ]
    if classifier_table_runs():
        targets += CLASSIFIER_TABLE
    for run in run_dirs():
        targets += [f"{run}/learning_curve.png", f"{run}/learning_curve.pdf"]
    return targets


DISTILL = "results/distill/{dataset}/{train_subset}/{arch}/{aug}/{method}/{student}/seed-{seed}"
DISTILL_LOGS = "results/logs/distill/{dataset}/{train_subset}/{arch}/{aug}/{method}/{student}/seed-{seed}"
DISTILL_BENCH = "results/benchmarks/distill/{dataset}/{train_subset}/{arch}/{aug}/{method}/{student}/seed-{seed}"


def student_spec(wildcards):
    """The distill.students entry of a student run."""
    return find_student(config, wildcards)


def teacher_checkpoint(teacher):
    """The best checkpoint of a student's teacher: a classifier run's (train_classifier), or a crossmodal
    T_x's (xkd_teacher)."""
    if "crossmodal" in teacher:
        return f"{XKD_TEACHER}/best.pt".format(
            dataset=teacher["dataset"], arm=teacher["crossmodal"], seed=teacher["seed"]
        )
    return f"{TRAIN}/best.pt".format(**teacher)


def distill_inputs(wildcards):
    """A student's data and its teachers' best checkpoints, in the teachers' order, and the CLIP embeddings
    a crossmodal teacher looks its batches up in."""
    teachers = student_teachers(student_spec(wildcards))
    inputs = {**training_inputs(wildcards), "teachers": [teacher_checkpoint(t) for t in teachers]}
    if any("crossmodal" in t for t in teachers):
        inputs["embeddings"] = f"{XKD}/{{dataset}}/clip/embeddings.npz".format(dataset=wildcards.dataset)
        if config["xkd"]["view"] == "augmented" and config["clip"]["weights"] is None:
            inputs["clip"] = f"{XKD_CLIP}/best.pt".format(dataset=wildcards.dataset)
    return inputs


def distill_teachers(wildcards):
    """The teachers of a student run (name T1, T2, ..., and their classifier-run wildcards)."""
    return student_teachers(student_spec(wildcards))


def distill_method(wildcards):
    """The distillation method's settings (distill.alpha, beta, temperature) and the teachers' mode."""
    d = config["distill"]
    return {k: d[k] for k in ("alpha", "beta", "temperature", "teacher_mode")}


def student_resume_dir(wildcards):
    return f"{DISTILL}/.resume".format(**wildcards)


def student_evaluation_inputs(wildcards):
    return {
        **training_inputs(wildcards),
        "checkpoint": f"{DISTILL}/best.pt".format(**wildcards),
    }


def student_dirs():
    return [DISTILL.format(**run) for run in student_runs(config)]


def distill_targets():
    """Every configured student with its teachers, evaluations and curves, and the classifier table."""
    targets = []
    for run in student_dirs():
        files = ["teachers.json", "eval-val.json", "eval-test.json", "learning_curve.png", "learning_curve.pdf"]
        targets += [f"{run}/{f}" for f in files]
    return targets + CLASSIFIER_TABLE if targets else []


# ----------------------------------------------------------------------------- lfkd

LFKD = "results/lfkd"
LFKD_FIGURES = ["iou_vs_strength", "overfitting_vs_iou", "fidelity_vs_top1"]


def lfkd_models(dataset):
    """The models the lfkd measures of ``dataset`` read: its teacher pool, its students (the config name
    and seed, their teachers as pool keys) and its no-KD students, each with its best checkpoint."""
    if dataset not in config["lfkd"]["datasets"]:
        raise ValueError(f"{dataset!r} is not one of lfkd.datasets {list(config['lfkd']['datasets'])}")
    models = [
        {"role": "teacher", "aug": r["aug"], "seed": r["seed"], "path": f"{TRAIN}/best.pt".format(**r)}
        for r in lfkd_pool(config, dataset)
    ]
    for s in lfkd_students(config):
        if s["dataset"] == dataset:
            run = {"train_subset": s["subset"], **s, "student": s["name"], "seed": s["seeds"][0]}
            models.append(
                {
                    "role": "student",
                    "config": s["name"],
                    "kind": "kd",
                    "aug": s["aug"],
                    "seed": s["seeds"][0],
                    "teachers": [[t["aug"], t["seed"]] for t in s["teachers"]],
                    "path": f"{DISTILL}/best.pt".format(**run),
                }
            )
    for r in lfkd_baselines(config):
        if r["dataset"] == dataset:
            models.append(
                {
                    "role": "student",
                    "config": f"noKD_S{r['aug'][0]}",
                    "kind": "none",
                    "aug": r["aug"],
                    "seed": r["seed"],
                    "teachers": [],
                    "path": f"{TRAIN}/best.pt".format(**r),
                }
            )
    return models


def lfkd_measure_inputs(wildcards):
    """A dataset's data (the students' training subset) and the checkpoints of its lfkd models."""
    subset = config["lfkd"]["datasets"][wildcards.dataset]["student_subset"]
    data = training_inputs(SimpleNamespace(dataset=wildcards.dataset, train_subset=subset))
    return {**data, "checkpoints": [m["path"] for m in lfkd_models(wildcards.dataset)]}


def lfkd_params(wildcards):
    """The lfkd settings the measures use, and the models in the order of their checkpoints."""
    keys = ("attention", "threshold", "ece_bins", "split", "grid_images", "affinity_reference")
    return {**{k: config["lfkd"][k] for k in keys}, "seed": config["seed"], "models": lfkd_models(wildcards.dataset)}


def lfkd_measure_files(name):
    return [f"{LFKD}/{dataset}/{name}" for dataset in config["lfkd"]["datasets"]]


def lfkd_targets():
    """The lfkd study's leaves: its tables and figures (none when lfkd.datasets is empty)."""
    if not config["lfkd"]["datasets"]:
        return []
    targets = [f"{LFKD}/tables/{t}.{ext}" for t in ("configs", "teachers") for ext in ("csv", "md")]
    targets += [f"{LFKD}/figures/{f}.{ext}" for f in LFKD_FIGURES for ext in ("png", "pdf")]
    targets += [
        f"{LFKD}/figures/attention_grid_{d}.{ext}" for d in config["lfkd"]["datasets"] for ext in ("png", "pdf")
    ]
    return targets


# ----------------------------------------------------------------------------- xkd

XKD = "results/xkd"
XKD_CLIP = "results/xkd/{dataset}/clip"
XKD_TEACHER = "results/xkd/{dataset}/teachers/{arm}/seed-{seed}"
XKD_TABLES = ["main", "leakage", "mix_sweep", "noise_sweep"]
XKD_PAPER = os.path.join(KDGEN_ROOT, "reference", "xkd_paper.csv")
XKD_PAPER_LEAKAGE = os.path.join(KDGEN_ROOT, "reference", "xkd_paper_leakage.csv")


def xkd_dataset_inputs(wildcards):
    """A dataset's images, manifest and splits."""
    return {
        k: f"results/data/{wildcards.dataset}/{k}.{ext}"
        for k, ext in (("images", "npz"), ("manifest", "json"), ("splits", "npz"))
    }


def xkd_clip_inputs(wildcards):
    """What embedding a dataset needs: the compact CLIP the workflow pretrains on it, or nothing (clip.weights)."""
    inputs = xkd_dataset_inputs(wildcards)
    if config["clip"]["weights"] is None:
        inputs["clip"] = f"{XKD_CLIP}/best.pt".format(dataset=wildcards.dataset)
    return inputs


def xkd_teacher_subset(wildcards):
    """The training images of a dataset's T_x: its teacher subset's indices, or None for the full split."""
    subset = config["xkd"]["datasets"][wildcards.dataset]["teacher_subset"]
    return None if subset == "full" else f"results/data/{wildcards.dataset}/subsets/{subset}.npy"


def xkd_teacher_inputs(wildcards):
    inputs = {
        "embeddings": f"{XKD_CLIP}/embeddings.npz".format(dataset=wildcards.dataset),
        "vocabulary": f"{XKD}/{{dataset}}/vocabulary/vocabulary.npz".format(dataset=wildcards.dataset),
        "splits": f"results/data/{wildcards.dataset}/splits.npz",
    }
    subset = xkd_teacher_subset(wildcards)
    if subset:
        inputs["subset"] = subset
    return inputs


def xkd_teacher_runs(dataset):
    return [{"dataset": dataset, "arm": arm, "seed": s} for arm in xkd_arms(config) for s in config["xkd"]["seeds"]]


def xkd_student_models(dataset):
    """The students the xkd tables read, with their best checkpoints: no-KD (a classifier run), T_m alone
    and T_m + T_x of each student arm."""
    models = [
        {"student": "noKD", "arm": "", "seed": r["seed"], "path": f"{TRAIN}/best.pt".format(**r)}
        for r in xkd_baselines(config)
        if r["dataset"] == dataset
    ]
    for s in xkd_students(config):
        if s["dataset"] == dataset:
            run = {"train_subset": s["subset"], **s, "student": s["name"], "seed": s["seeds"][0]}
            arm = next((t["crossmodal"] for t in s["teachers"] if "crossmodal" in t), "")
            models.append(
                {"student": s["name"], "arm": arm, "seed": s["seeds"][0], "path": f"{DISTILL}/best.pt".format(**run)}
            )
    return models


def xkd_files(name):
    return [f"{XKD}/{dataset}/{name}" for dataset in config["xkd"]["datasets"]]


def xkd_targets():
    """The xkd study's leaves: its tables and figures, per dataset the CLIP, vocabulary and retrieval views,
    and the published numbers beside them (none when xkd.datasets is empty)."""
    if not config["xkd"]["datasets"]:
        return []
    targets = [f"{XKD}/tables/{t}.{ext}" for t in XKD_TABLES for ext in ("csv", "md")]
    targets += [f"{XKD}/figures/{t}.{ext}" for t in XKD_TABLES for ext in ("png", "pdf")]
    for d in config["xkd"]["datasets"]:
        targets += [f"{XKD}/tables/vocabulary_{d}.{ext}" for ext in ("csv", "md")]
        targets += [f"{XKD}/figures/{f}_{d}.{ext}" for f in ("vocabulary", "retrievals") for ext in ("png", "pdf")]
        if config["clip"]["weights"] is None:
            targets += [f"{XKD}/figures/clip_{d}.{ext}" for ext in ("png", "pdf")]
    targets += [f"results/reference/xkd_paper_fit.{ext}" for ext in ("csv", "md")]
    return targets


GMAUG = "results/gmaug"
GMAUG_GEN = "results/gmaug/{dataset}/generators/{gm_generator}/seed-{gseed}"
GMAUG_CLS = "results/gmaug/{dataset}/classifiers/{gm_generator}/{gm_arm}/seed-{seed}"
GMAUG_ORIG = "results/gmaug/{dataset}/classifiers/original/seed-{seed}"
GMAUG_PAPER = os.path.join(KDGEN_ROOT, "reference", "gmaug_paper.csv")
GMAUG_TABLES = ["gain", "ssim", "fit"]
GMAUG_DATASET_FIGURES = ["samples", "learning_curves", "class_counts"]


def gmaug_subset(dataset):
    return config["gmaug"]["datasets"][dataset]["subset"]


def gmaug_data_inputs(wildcards):
    """A gmaug dataset's images, manifest, splits and its imbalanced subset (none for full)."""
    inputs = xkd_dataset_inputs(wildcards)
    subset = gmaug_subset(wildcards.dataset)
    if subset != "full":
        inputs["subset"] = f"results/data/{wildcards.dataset}/subsets/{subset}.npy"
    return inputs


def gmaug_original(dataset, seed):
    """The folder of the original classifier (trained on the imbalanced subset alone)."""
    return GMAUG_ORIG.format(dataset=dataset, seed=seed)


def gmaug_training():
    """The recipe of the study's classifiers: the training block with gmaug.training's keys where set."""
    return {**config["training"], **{k: v for k, v in config["gmaug"]["training"].items() if v is not None}}


def gmaug_candidates(dataset, generator, seed):
    gseed = generator_seed(config["gmaug"], seed)
    return f"{GMAUG_GEN}/candidates.npz".format(dataset=dataset, gm_generator=generator, gseed=gseed)


def gmaug_classifier_inputs(wildcards):
    """A re-balanced classifier's data, candidates and filtering classifiers: the original one (step 1, and
    the random arm, which takes step 1's counts), and the step-1 one (step 2)."""
    w = wildcards
    inputs = {
        **gmaug_data_inputs(w),
        "candidates": gmaug_candidates(w.dataset, w.gm_generator, w.seed),
        "original": f"{gmaug_original(w.dataset, w.seed)}/best.pt",
    }
    if w.gm_arm == "step2":
        inputs["step1"] = f"{GMAUG_CLS}/best.pt".format(**{**dict(w.items()), "gm_arm": "step1"})
    return inputs


def gmaug_runs(dataset):
    """Every classifier of a dataset: the original ones and the re-balanced ones, with their folders."""
    g = config["gmaug"]
    runs = [{"generator": "", "arm": "original", "seed": s, "dir": gmaug_original(dataset, s)} for s in g["seeds"]]
    for gen in g["generators"]:
        for arm in gmaug_arms(g):
            for s in g["seeds"]:
                d = GMAUG_CLS.format(dataset=dataset, gm_generator=gen, gm_arm=arm, seed=s)
                runs.append({"generator": gen, "arm": arm, "seed": s, "dir": d})
    return runs


def gmaug_table_inputs(wildcards):
    """gain: every run's metrics, test evaluation and class counts, and every dataset's SSIM; ssim: the SSIM
    files; fit: the gain table."""
    ssim = [f"{GMAUG}/{d}/ssim.csv" for d in config["gmaug"]["datasets"]]
    if wildcards.table == "ssim":
        return {"ssim": ssim}
    if wildcards.table == "fit":
        return {"gain": f"{GMAUG}/tables/gain.csv"}
    runs = [r for d in config["gmaug"]["datasets"] for r in gmaug_runs(d)]
    return {
        "ssim": ssim,
        "metrics": [f"{r['dir']}/metrics.csv" for r in runs],
        "test": [f"{r['dir']}/eval-test.json" for r in runs],
        "classes": [f"{r['dir']}/classes.csv" for r in runs if r["arm"] != "original"],
    }


def gmaug_step1_files(wildcards, name):
    """``name`` of each generator's step-1 run of a dataset, first seed (the figures' examples)."""
    seed = config["gmaug"]["seeds"][0]
    return [
        f"{GMAUG_CLS}/{name}".format(dataset=wildcards.dataset, gm_generator=g, gm_arm="step1", seed=seed)
        for g in config["gmaug"]["generators"]
    ]


def gmaug_external_samples(wildcards):
    """The file or folder of an external generator's samples for a dataset and generator seed."""
    spec = config["gmaug"]["generators"][wildcards.gm_generator]
    return spec["samples"].format(dataset=wildcards.dataset, seed=wildcards.gseed)


def gmaug_table_records(wildcards):
    """The dataset, generator, arm and seed of each run, in the order of the table's inputs."""
    return [
        {"dataset": d, **{k: r[k] for k in ("generator", "arm", "seed")}}
        for d in config["gmaug"]["datasets"]
        for r in gmaug_runs(d)
    ]


def gmaug_targets():
    """The gmaug study's leaves: its tables and figures, per dataset the samples, learning curves and class
    counts, and the published points re-fitted (none when gmaug.datasets is empty)."""
    if not config["gmaug"]["datasets"]:
        return []
    targets = [f"{GMAUG}/tables/{t}.{ext}" for t in GMAUG_TABLES for ext in ("csv", "md")]
    targets += [f"{GMAUG}/figures/gain_vs_ssim.{ext}" for ext in ("png", "pdf")]
    for d in config["gmaug"]["datasets"]:
        targets += [f"{GMAUG}/figures/{f}_{d}.{ext}" for f in GMAUG_DATASET_FIGURES for ext in ("png", "pdf")]
    targets += [f"results/reference/gmaug_paper_fit.{ext}" for ext in ("csv", "md", "png", "pdf")]
    return targets


def on_gpu():
    return config["device"].startswith("cuda")


def gpu_count(wildcards):
    """Training and generation rules ask for one GPU when the config's device is cuda."""
    return 1 if on_gpu() else 0


def heavy_mem_mb(wildcards, attempt):
    return (16000 if on_gpu() else 6000) * attempt


def heavy_runtime(wildcards, attempt):
    return (720 if on_gpu() else 240) * attempt


GAN = "results/ganrep/{generator}/{dataset}/size-{size}/seed-{seed}"
GAN_LOGS = "results/logs/ganrep/{generator}/{dataset}/size-{size}/seed-{seed}"
GANREP_FIGURES = [
    "replication_vs_id",
    "replication_vs_size",
    "one_shot",
    "fid_vs_size",
    "nearest_neighbours",
]


def ganrep_runs():
    g = config["ganrep"]
    return [
        {"generator": gen, "dataset": ds, "size": size, "seed": seed}
        for gen in g["generators"]
        for ds in g["datasets"]
        for size in ganrep_sizes(g, ds)
        for seed in g["seeds"]
    ]


def gan_spec(wildcards):
    return config["ganrep"]["generators"][wildcards.generator]


def external_samples_path(spec, wildcards):
    return spec["samples"].format(dataset=wildcards.dataset, size=wildcards.size, seed=wildcards.seed)


def external_sample_inputs(wildcards):
    """The file or folder of an external generator's samples."""
    return external_samples_path(gan_spec(wildcards), wildcards)


def generator_names(external):
    """A wildcard regex of the built-in (or external) generator names; one that matches nothing if none."""
    names = [n for n, s in config["ganrep"]["generators"].items() if (s["family"] == "external") == external]
    return "|".join(names) if names else "(?!x)x"


def gan_resume_dir(wildcards):
    return f"{GAN}/.resume".format(**wildcards)


def ganrep_subset_path(dataset, size):
    """The indices of one training subset of the nested ladder (made by subset_dataset)."""
    return f"results/data/{dataset}/subsets/size-{size}.npy"


def ganrep_subset_inputs(wildcards):
    base = f"results/data/{wildcards.dataset}"
    return {
        "images": f"{base}/images.npz",
        "manifest": f"{base}/manifest.json",
        "subset": ganrep_subset_path(wildcards.dataset, wildcards.size),
    }


def ganrep_fid_runs(dataset):
    """The runs scored by the FID job of ``dataset``: each with its samples, the real images it is scored
    against (its own training subset, or the whole train split: ganrep.fid_reference) and its fid.json."""
    g = config["ganrep"]
    return [
        {
            "samples": f"{GAN}/samples.npz".format(**r),
            "reference": (ganrep_subset_path(dataset, r["size"]) if g["fid_reference"] == "subset" else "train_split"),
            "fid": f"{GAN}/fid.json".format(**r),
        }
        for r in ganrep_runs()
        if r["dataset"] == dataset
    ]


def ganrep_fid_inputs(dataset):
    """The input function of the FID job of ``dataset``: every run's samples, the subsets they are scored
    against, the dataset, and the feature extractor."""

    def inputs(wildcards):
        base = f"results/data/{dataset}"
        runs = ganrep_fid_runs(dataset)
        files = {
            "samples": [r["samples"] for r in runs],
            "subsets": sorted({r["reference"] for r in runs if r["reference"] != "train_split"}),
            "images": f"{base}/images.npz",
            "manifest": f"{base}/manifest.json",
            "splits": f"{base}/splits.npz",
        }
        return {**files, **extractor_inputs(dataset)}

    return inputs


def extractor_inputs(dataset):
    """The workflow-trained classifier that serves as feature extractor, unless Inception weights are given."""
    if config["ganrep"]["inception_weights"]:
        return {}
    arch = config["ganrep"]["fid_classifier"]
    return {"classifier": f"results/train/{dataset}/full/{arch}/none/seed-0/best.pt"}


def ganrep_train_priority(wildcards):
    """Scheduling priority of a GAN: the first configured dataset's GANs first."""
    datasets = config["ganrep"]["datasets"]
    return len(datasets) - datasets.index(wildcards.dataset) if wildcards.dataset in datasets else 0


def ganrep_replication_runs(dataset):
    """The runs measured by the replication job of ``dataset``: each with its samples, its training subset
    and its two outputs (replication.json, neighbours.npz)."""
    return [
        {
            "samples": f"{GAN}/samples.npz".format(**r),
            "subset": ganrep_subset_path(dataset, r["size"]),
            "summary": f"{GAN}/replication.json".format(**r),
            "neighbours": f"{GAN}/neighbours.npz".format(**r),
        }
        for r in ganrep_runs()
        if r["dataset"] == dataset
    ]


def ganrep_replication_inputs(dataset):
    """The input function of the replication job of ``dataset``: every run's samples, the training
    subsets, the dataset, and (with ganrep.feature_space) the feature extractor."""

    def inputs(wildcards):
        base = f"results/data/{dataset}"
        runs = ganrep_replication_runs(dataset)
        files = {
            "samples": [r["samples"] for r in runs],
            "subsets": sorted({r["subset"] for r in runs}),
            "images": f"{base}/images.npz",
            "manifest": f"{base}/manifest.json",
        }
        if config["ganrep"]["feature_space"]:
            files.update(extractor_inputs(dataset))
        return files

    return inputs


def ganrep_id_path(dataset, size):
    """The ID of one training subset (written by ganrep_id_<dataset>, read by the runs table)."""
    return f"results/ganrep/id/{dataset}/size-{size}.json"


def ganrep_id_runs(dataset):
    """The subsets measured by the ID job of ``dataset``: each with its size, its indices and its id.json."""
    return [
        {
            "size": size,
            "subset": ganrep_subset_path(dataset, size),
            "id": ganrep_id_path(dataset, size),
        }
        for size in ganrep_sizes(config["ganrep"], dataset)
    ]


def ganrep_id_inputs(dataset):
    """The input function of the ID job of ``dataset``: the dataset and every training subset."""

    def inputs(wildcards):
        base = f"results/data/{dataset}"
        return {
            "images": f"{base}/images.npz",
            "manifest": f"{base}/manifest.json",
            "subsets": [r["subset"] for r in ganrep_id_runs(dataset)],
        }

    return inputs


def ganrep_table_runs():
    """Every GAN run with the paths of its replication summary, FID and the ID of its training subset."""
    return [
        {
            **r,
            "replication": f"{GAN}/replication.json".format(**r),
            "fid": f"{GAN}/fid.json".format(**r),
            "id": ganrep_id_path(r["dataset"], r["size"]),
        }
        for r in ganrep_runs()
    ]


def ganrep_table_inputs(wildcards):
    runs = ganrep_table_runs()
    return {
        "replication": [r["replication"] for r in runs],
        "fid": [r["fid"] for r in runs],
        "id": sorted({r["id"] for r in runs}),  # one ID per dataset and size, shared by the generators
    }


def ganrep_neighbour_runs():
    """The runs the nearest-neighbour figure shows: the smallest and the largest size of every generator
    and dataset, first seed, each with the paths of its samples, neighbours and training subset.
    """
    g = config["ganrep"]
    if not ganrep_runs():
        return []
    ends = {ds: {min(ganrep_sizes(g, ds)), max(ganrep_sizes(g, ds))} for ds in g["datasets"]}
    return [
        {
            **run,
            "samples": f"{GAN}/samples.npz".format(**run),
            "neighbours": f"{GAN}/neighbours.npz".format(**run),
            "subset": ganrep_subset_path(run["dataset"], run["size"]),
        }
        for run in ganrep_runs()
        if run["seed"] == min(g["seeds"]) and run["size"] in ends[run["dataset"]]
    ]


def ganrep_figure_inputs(figure):
    """The input function of one ganrep figure: the runs table and only what that figure draws."""

    def inputs(wildcards):
        files = {"runs": "results/ganrep/tables/runs.csv"}
        if figure in ("replication_vs_id", "one_shot"):
            files["fits"] = "results/ganrep/tables/fits.csv"
        if figure == "replication_vs_id":
            files.update(paper=GANREP_PAPER, paper_fits="results/reference/ganrep_paper_fit.csv")
        if figure == "one_shot":
            files["one_shot"] = "results/ganrep/tables/one_shot.csv"
        if figure == "nearest_neighbours":
            runs = ganrep_neighbour_runs()
            datasets = sorted({r["dataset"] for r in runs})
            files.update(
                samples=[r["samples"] for r in runs],
                neighbours=[r["neighbours"] for r in runs],
                subsets=sorted({r["subset"] for r in runs}),
                images=[f"results/data/{d}/images.npz" for d in datasets],
                manifests=[f"results/data/{d}/manifest.json" for d in datasets],
            )
        return files

    return inputs


def ganrep_targets():
    targets = [f"results/reference/ganrep_paper_fit.{ext}" for ext in ("csv", "md", "png", "pdf")]
    if ganrep_runs():
        tables = ["runs", "summary", "fits", "one_shot", "minimal_size"]
        targets += [f"results/ganrep/tables/{t}.{ext}" for t in tables for ext in ("csv", "md")]
        targets += [f"results/ganrep/figures/{f}.{ext}" for f in GANREP_FIGURES for ext in ("png", "pdf")]
    return targets


def all_targets():
    """Every leaf target of the workflow: what `snakemake` builds by default."""
    targets = [
        *data_targets(),
        *train_targets(),
        *distill_targets(),
        *lfkd_targets(),
        *xkd_targets(),
        *ganrep_targets(),
        *gmaug_targets(),
        "results/config/resolved.yaml",
    ]
    return list(dict.fromkeys(targets))  # the classifier table is in two groups


def built_targets(wildcards):
    """The leaf targets that exist in the working directory now (the report of a partial build)."""
    return [t for t in all_targets() if os.path.exists(t)]
