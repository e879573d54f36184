# The ganrep rules' paths, input functions and wildcard constraints
# (included at the top of workflow/rules/ganrep.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).
from kdgen.ganrep.plan import ganrep_runs, ganrep_sizes

GAN = "results/ganrep/{generator}/{dataset}/size-{size}/seed-{seed}"
GAN_LOGS = "results/logs/ganrep/{generator}/{dataset}/size-{size}/seed-{seed}"
GANREP_FIGURES = [
    "replication_vs_id",
    "replication_vs_size",
    "one_shot",
    "fid_vs_size",
    "nearest_neighbours",
]
GANREP_PAPER = reference("ganrep_paper.csv")


wildcard_constraints:
    generator=names_pattern(config["ganrep"]["generators"]),


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
        for r in ganrep_runs(config)
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
        for r in ganrep_runs(config)
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
        for r in ganrep_runs(config)
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
    if not ganrep_runs(config):
        return []
    ends = {ds: {min(ganrep_sizes(g, ds)), max(ganrep_sizes(g, ds))} for ds in g["datasets"]}
    return [
        {
            **run,
            "samples": f"{GAN}/samples.npz".format(**run),
            "neighbours": f"{GAN}/neighbours.npz".format(**run),
            "subset": ganrep_subset_path(run["dataset"], run["size"]),
        }
        for run in ganrep_runs(config)
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
    if ganrep_runs(config):
        tables = ["runs", "summary", "fits", "one_shot", "minimal_size"]
        targets += [f"results/ganrep/tables/{t}.{ext}" for t in tables for ext in ("csv", "md")]
        targets += [f"results/ganrep/figures/{f}.{ext}" for f in GANREP_FIGURES for ext in ("png", "pdf")]
    return targets
