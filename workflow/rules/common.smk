# Config validation, target lists and input functions shared by every rules file.
import os
import sys

from kdgen.config import ConfigError, validate_config
from kdgen.data.sources import check_real_sources
from kdgen.train.runs import check_classifiers, classifier_runs

try:
    _validated = validate_config(
        config, source=", ".join(map(str, workflow.overwrite_configfiles)) or "config.yaml"
    )
    _problems = check_real_sources(_validated["datasets"]) + check_classifiers(_validated)
    if _problems:
        raise ConfigError("config error:\n  - " + "\n  - ".join(_problems))
except ConfigError as err:
    print(err, file=sys.stderr)
    sys.exit(1)
config.clear()
config.update(_validated)


wildcard_constraints:
    dataset="[A-Za-z][A-Za-z0-9_]*",
    subset=r"size-[0-9]+|lt-[0-9]+(\.[0-9]+)?",
    train_subset=r"full|size-[0-9]+|lt-[0-9]+(\.[0-9]+)?",
    arch=r"[a-z0-9_]+",
    aug=r"[a-z0-9\-]+",
    seed=r"[0-9]+",
    split=r"val|test",
    generator=r"[a-z][a-z0-9_]*",
    size=r"[0-9]+",


# Cheap rules run where snakemake runs, never waiting in a cluster queue.
localrules:
    wordnet,
    split_dataset,
    subset_dataset,
    class_hierarchy,
    card_samples,
    card_class_counts,
    card_split_counts,
    learning_curve,
    classifier_table,
    model_zoo_table,
    ganrep_paper_fit,
    ganrep_paper_fit_figure,
    ganrep_id,
    ganrep_table,
    ganrep_fits,
    ganrep_figure,
    data,
    train,
    ganrep,
    all,


DATA = "results/data/{dataset}"
# published measurements shipped with the workflow (found from the Snakefile, whatever the workdir)
GANREP_PAPER = os.path.join(workflow.basedir, "reference", "ganrep_paper.csv")
LOGS = "results/logs/data/{dataset}"
BENCH = "results/benchmarks/data/{dataset}"


def dataset_spec(wildcards):
    return config["datasets"][wildcards.dataset]


def subset_names(name):
    spec = config["datasets"][name]
    ratios = [f"{r:g}" for r in spec["long_tail"]["ratios"]]
    return [f"size-{n}" for n in spec["ladder"]] + [f"lt-{r}" for r in ratios]


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
        targets += [f"{base}/manifest.json", f"{base}/splits.npz", f"{base}/hierarchy.csv"]
        targets += [f"{base}/subsets/{s}.npy" for s in subset_names(name)]
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
    return {**training_inputs(wildcards), "checkpoint": f"{TRAIN}/best.pt".format(**wildcards)}


def resume_dir(wildcards):
    return f"{TRAIN}/.resume".format(**wildcards)


def arch_weights(wildcards):
    return config["models"]["weights"].get(wildcards.arch)


def run_dirs():
    return [TRAIN.format(**run) for run in classifier_runs(config)]


def classifier_table_inputs(wildcards):
    runs = run_dirs()
    return {
        "metrics": [f"{r}/metrics.csv" for r in runs],
        "val": [f"{r}/eval-val.json" for r in runs],
        "test": [f"{r}/eval-test.json" for r in runs],
    }


def train_targets():
    targets = ["results/train/tables/model_zoo.csv", "results/train/tables/model_zoo.md"]
    if config["classifiers"]:
        targets += ["results/train/tables/classifiers.csv", "results/train/tables/classifiers.md"]
    for run in run_dirs():
        targets += [f"{run}/learning_curve.png", f"{run}/learning_curve.pdf"]
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
GANREP_FIGURES = ["replication_vs_id", "replication_vs_size", "one_shot", "fid_vs_size", "nearest_neighbours"]


def ganrep_runs():
    g = config["ganrep"]
    return [
        {"generator": gen, "dataset": ds, "size": size, "seed": seed}
        for gen in g["generators"]
        for ds in g["datasets"]
        for size in g["sizes"]
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


def ganrep_subset_inputs(wildcards):
    base = f"results/data/{wildcards.dataset}"
    return {
        "images": f"{base}/images.npz",
        "manifest": f"{base}/manifest.json",
        "subset": f"{base}/subsets/size-{wildcards.size}.npy",
    }


def ganrep_fid_outputs():
    """One fid.json per run, with the {dataset} wildcard left: every run of the study runs on each dataset."""
    g = config["ganrep"]
    return [
        f"results/ganrep/{gen}/{{dataset}}/size-{size}/seed-{seed}/fid.json"
        for gen in g["generators"]
        for size in g["sizes"]
        for seed in g["seeds"]
    ]


def ganrep_fid_inputs(wildcards):
    if wildcards.dataset not in config["ganrep"]["datasets"]:
        raise ValueError(
            f"FID of {wildcards.dataset!r}: not one of ganrep.datasets {config['ganrep']['datasets']}; add it there"
        )
    base = f"results/data/{wildcards.dataset}"
    inputs = {
        # the samples beside each fid.json the rule writes, in the same order
        "samples": [os.path.join(os.path.dirname(out.format(dataset=wildcards.dataset)), "samples.npz") for out in ganrep_fid_outputs()],
        "images": f"{base}/images.npz",
        "manifest": f"{base}/manifest.json",
        "splits": f"{base}/splits.npz",
    }
    return {**inputs, **extractor_inputs(wildcards)}


def extractor_inputs(wildcards):
    """The workflow-trained classifier that serves as feature extractor, unless Inception weights are given."""
    if config["ganrep"]["inception_weights"]:
        return {}
    arch = config["ganrep"]["fid_classifier"]
    return {"classifier": f"results/train/{wildcards.dataset}/full/{arch}/none/seed-0/best.pt"}


def ganrep_replication_inputs(wildcards):
    inputs = {**ganrep_subset_inputs(wildcards), "samples": f"{GAN}/samples.npz".format(**wildcards)}
    if config["ganrep"]["feature_space"]:
        inputs.update(extractor_inputs(wildcards))
    return inputs


def ganrep_table_inputs(wildcards):
    runs = ganrep_runs()
    return {
        "replication": [f"{GAN}/replication.json".format(**r) for r in runs],
        "fid": [f"{GAN}/fid.json".format(**r) for r in runs],
        "id": [f"results/ganrep/id/{r['dataset']}/size-{r['size']}.json" for r in runs],
    }


def ganrep_grid_inputs(wildcards):
    runs = ganrep_runs()
    return {
        "samples": [f"{GAN}/samples.npz".format(**r) for r in runs],
        "neighbours": [f"{GAN}/neighbours.npz".format(**r) for r in runs],
        "subsets": [f"results/data/{r['dataset']}/subsets/size-{r['size']}.npy" for r in runs],
        "images": sorted({f"results/data/{r['dataset']}/images.npz" for r in runs}),
        "manifests": sorted({f"results/data/{r['dataset']}/manifest.json" for r in runs}),
    }


def ganrep_targets():
    targets = [f"results/reference/ganrep_paper_fit.{ext}" for ext in ("csv", "md", "png", "pdf")]
    if ganrep_runs():
        tables = ["runs", "fits", "one_shot", "minimal_size"]
        targets += [f"results/ganrep/tables/{t}.{ext}" for t in tables for ext in ("csv", "md")]
        targets += [f"results/ganrep/figures/{f}.{ext}" for f in GANREP_FIGURES for ext in ("png", "pdf")]
    return targets
