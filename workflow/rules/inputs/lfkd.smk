# The lfkd rules' paths, input functions and wildcard constraints
# (included at the top of workflow/rules/lfkd.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).
from types import SimpleNamespace

from kdgen.lfkd.plan import lfkd_baselines, lfkd_pool, lfkd_students

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
