# The gmaug rules' paths, input functions and wildcard constraints
# (included at the top of workflow/rules/gmaug.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).
from kdgen.gmaug.plan import dataset_target, generator_seed, gmaug_arms, ssim_protocols

GMAUG = "results/gmaug"
GMAUG_GEN = "results/gmaug/{dataset}/generators/{gmaug_generator}/seed-{generator_seed}"
GMAUG_CLS = "results/gmaug/{dataset}/classifiers/{gmaug_generator}/{gmaug_arm}/seed-{seed}"
GMAUG_ORIG = "results/gmaug/{dataset}/classifiers/original/seed-{seed}"
GMAUG_PAPER = reference("gmaug_paper.csv")
GMAUG_TABLES = ["runs", "gain", "ssim", "fit"]
GMAUG_DATASET_FIGURES = ["samples", "learning_curves", "class_counts"]


wildcard_constraints:
    gmaug_generator=names_pattern(config["gmaug"]["generators"]),
    gmaug_arm=names_pattern(gmaug_arms(config["gmaug"])),
    generator_seed=r"[0-9]+",


def gmaug_subset(dataset):
    return config["gmaug"]["datasets"][dataset]["subset"]


def gmaug_data_inputs(wildcards):
    """A gmaug dataset's images, manifest, splits and its imbalanced subset (none for full)."""
    inputs = dataset_files(wildcards)
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
    gen_seed = generator_seed(config["gmaug"], seed)
    return f"{GMAUG_GEN}/candidates.npz".format(dataset=dataset, gmaug_generator=generator, generator_seed=gen_seed)


def gmaug_classifier_inputs(wildcards):
    """A re-balanced classifier's data, candidates and filtering classifiers: the original one (step 1, and
    the random arm, which takes step 1's counts), and the step-1 one (step 2)."""
    w = wildcards
    inputs = {
        **gmaug_data_inputs(w),
        "candidates": gmaug_candidates(w.dataset, w.gmaug_generator, w.seed),
        "original": f"{gmaug_original(w.dataset, w.seed)}/best.pt",
    }
    if w.gmaug_arm == "step2":
        inputs["step1"] = f"{GMAUG_CLS}/best.pt".format(**{**dict(w.items()), "gmaug_arm": "step1"})
    return inputs


def gmaug_runs(dataset):
    """Every classifier of a dataset: the original ones and the re-balanced ones, with their folders."""
    g = config["gmaug"]
    runs = [{"generator": "", "arm": "original", "seed": s, "dir": gmaug_original(dataset, s)} for s in g["seeds"]]
    for gen in g["generators"]:
        for arm in gmaug_arms(g):
            for s in g["seeds"]:
                d = GMAUG_CLS.format(dataset=dataset, gmaug_generator=gen, gmaug_arm=arm, seed=s)
                runs.append({"generator": gen, "arm": arm, "seed": s, "dir": d})
    return runs


def gmaug_table_inputs(wildcards):
    """runs and gain: every run's metrics, test evaluation and class counts, and every dataset's SSIM; ssim:
    the SSIM files; fit: the gain table."""
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
        f"{GMAUG_CLS}/{name}".format(dataset=wildcards.dataset, gmaug_generator=g, gmaug_arm="step1", seed=seed)
        for g in config["gmaug"]["generators"]
    ]


def gmaug_external_samples(wildcards):
    """The file or folder of an external generator's samples for a dataset and generator seed."""
    spec = config["gmaug"]["generators"][wildcards.gmaug_generator]
    return spec["samples"].format(dataset=wildcards.dataset, seed=wildcards.generator_seed)


def gmaug_table_records(wildcards):
    """The dataset, generator, arm and seed of each run, in the order of the table's inputs (the runs and
    gain tables; none for the others)."""
    if wildcards.table not in ("runs", "gain"):
        return []
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
