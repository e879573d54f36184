# The xkd rules' paths, input functions and wildcard constraints
# (included at the top of workflow/rules/xkd.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).
from kdgen.xkd.plan import CLIP_DIR, CROSSMODAL, TEACHER_DIR, xkd_arms, xkd_baselines, xkd_students

XKD = "results/xkd"
XKD_CLIP = CLIP_DIR
XKD_TEACHER = TEACHER_DIR
XKD_TABLES = ["main", "leakage", "mix_sweep", "noise_sweep"]
XKD_PAPER = reference("xkd_paper.csv")
XKD_PAPER_LEAKAGE = reference("xkd_paper_leakage.csv")


wildcard_constraints:
    arm=names_pattern(xkd_arms(config)),


def xkd_clip_inputs(wildcards):
    """What embedding a dataset needs: the compact CLIP the workflow pretrains on it, or nothing (clip.weights)."""
    inputs = dataset_files(wildcards)
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
            arm = next((t[CROSSMODAL] for t in s["teachers"] if CROSSMODAL in t), "")
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
