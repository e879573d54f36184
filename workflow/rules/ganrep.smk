# ganrep: GAN replication vs dataset size and intrinsic dimensionality (Feng et al., ICCV 2021):
# the published measurements re-fitted, and GANs trained, sampled, measured, tabulated and drawn.
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


rule ganrep_paper_fit:
    input:
        GANREP_PAPER,
    output:
        csv=report(
            "results/reference/ganrep_paper_fit.csv",
            caption="../report/ganrep_paper_fit.rst",
            category="ganrep",
            subcategory="published measurements",
        ),
        md="results/reference/ganrep_paper_fit.md",
    log:
        "results/logs/reference/ganrep_paper_fit.log",
    """ganrep: the published measurements re-fitted with R = a^(b x - c) (the paper's fit table)."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        alpha=8000,
    script:
        "../scripts/ganrep_paper_fit.py"


rule ganrep_paper_fit_figure:
    input:
        paper=GANREP_PAPER,
        fits="results/reference/ganrep_paper_fit.csv",
    output:
        png=report(
            "results/reference/ganrep_paper_fit.png",
            caption="../report/ganrep_paper_fit_figure.rst",
            category="ganrep",
            subcategory="published measurements",
        ),
        pdf="results/reference/ganrep_paper_fit.pdf",
    log:
        "results/logs/reference/ganrep_paper_fit_figure.log",
    """ganrep: the published points and our re-fitted curves against intrinsic dimension."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        alpha=8000,
    script:
        "../scripts/ganrep_paper_fit_figure.py"


rule ganrep:
    input:
        ganrep_targets(),
    """Target group: the ganrep study (published re-fit always; the GAN branch when ganrep.generators is set)."""
    localrule: True


rule ganrep_train:
    """ganrep: train one built-in GAN (generator, dataset, size, seed) and draw its samples; resumable."""

    # built-in generators: train, then draw the samples from the EMA generator in the same job;
    # resumable state in <run>/.resume while the job runs (see train_classifier)
    input:
        unpack(ganrep_subset_inputs),
    output:
        generator=f"{GAN}/generator.pt",
        losses=f"{GAN}/losses.csv",
        samples=f"{GAN}/samples.npz",
    log:
        f"{GAN_LOGS}/train.log",
    benchmark:
        "results/benchmarks/ganrep/{generator}/{dataset}/size-{size}/seed-{seed}/train.tsv"
    wildcard_constraints:
        generator=generator_names(external=False),
    # one dataset's GANs before the next one's, so that its replication and FID jobs run while the
    # next dataset's GANs train (instead of all measurements waiting for the last GAN)
    priority: ganrep_train_priority
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    resources:
        gpu=gpu_count,
        mem_mb=heavy_mem_mb,
        runtime=heavy_runtime,
    params:
        spec=gan_spec,
        image_size=config["ganrep"]["image_size"],
        n=config["ganrep"]["num_samples"],
        device=config["device"],
        state_dir=gan_resume_dir,
    script:
        "../scripts/ganrep_train.py"


rule ganrep_external_samples:
    """ganrep: read the samples of an external generator (made elsewhere) at the study's image size."""

    # external generators: read the samples made elsewhere, brought to the study's image size
    input:
        external_sample_inputs,
    output:
        f"{GAN}/samples.npz",
    log:
        f"{GAN_LOGS}/sample.log",
    benchmark:
        "results/benchmarks/ganrep/{generator}/{dataset}/size-{size}/seed-{seed}/sample.tsv"
    wildcard_constraints:
        generator=generator_names(external=True),
    conda:
        "../../envs/kdgen.yaml"
    params:
        n=config["ganrep"]["num_samples"],
        image_size=config["ganrep"]["image_size"],
    script:
        "../scripts/ganrep_external_samples.py"


for _dataset in config["ganrep"]["datasets"] if ganrep_runs(config) else []:

    # one job per dataset (ganrep_replication_<dataset>), as FID: the process starts, reads the dataset and
    # loads the feature extractor once for all its runs (params.runs: samples, subset, outputs); a job per
    # run spent more time starting Python than searching neighbours. Pixel space always; with
    # ganrep.feature_space also in the FID extractor's feature space.
    rule:
        """ganrep: exact nearest training image of every sample of one dataset; replication % per alpha, ratio test."""
        name:
            f"ganrep_replication_{_dataset}"
        input:
            unpack(ganrep_replication_inputs(_dataset)),
        output:
            summaries=[run["summary"] for run in ganrep_replication_runs(_dataset)],
            neighbours=[run["neighbours"] for run in ganrep_replication_runs(_dataset)],
        log:
            f"results/logs/ganrep/replication/{_dataset}.log",
        benchmark:
            f"results/benchmarks/ganrep/replication/{_dataset}.tsv"
        priority: 10  # as soon as its dataset's GANs are done, before the other dataset's GANs
        conda:
            "../../envs/kdgen.yaml"
        params:
            runs=ganrep_replication_runs(_dataset),
            alphas=config["ganrep"]["alphas"],
            ratio=config["ganrep"]["ratio"],
            image_size=config["ganrep"]["image_size"],
            feature_space=config["ganrep"]["feature_space"],
            inception=config["ganrep"]["inception_weights"],
            arch=config["ganrep"]["fid_classifier"],
        script:
            "../scripts/ganrep_replication.py"


for _dataset in config["ganrep"]["datasets"] if ganrep_runs(config) else []:

    # one job per dataset (ganrep_id_<dataset>), as replication and FID: a job per subset spent more time
    # starting Python than estimating the ID of a few hundred images
    rule:
        """ganrep: Levina-Bickel intrinsic dimension of every training subset of one dataset."""
        name:
            f"ganrep_id_{_dataset}"
        input:
            unpack(ganrep_id_inputs(_dataset)),
        output:
            [run["id"] for run in ganrep_id_runs(_dataset)],
        log:
            f"results/logs/ganrep/id/{_dataset}.log",
        benchmark:
            f"results/benchmarks/ganrep/id/{_dataset}.tsv"
        localrule: True
        conda:
            "../../envs/kdgen.yaml"
        params:
            runs=ganrep_id_runs(_dataset),
            k=config["ganrep"]["id_k"],
            bootstrap=config["ganrep"]["id_bootstrap"],
        script:
            "../scripts/ganrep_id.py"


for _dataset in config["ganrep"]["datasets"] if ganrep_runs(config) else []:

    # one job per dataset (ganrep_fid_<dataset>): the extractor is loaded once, and each reference set's
    # features are extracted once for all the runs scored against it (params.runs: samples, reference, fid.json)
    rule:
        """ganrep: FID and KID of every run on one dataset against its own training subset (or the train split)."""
        name:
            f"ganrep_fid_{_dataset}"
        input:
            unpack(ganrep_fid_inputs(_dataset)),
        output:
            [run["fid"] for run in ganrep_fid_runs(_dataset)],
        log:
            f"results/logs/ganrep/fid/{_dataset}.log",
        benchmark:
            f"results/benchmarks/ganrep/fid/{_dataset}.tsv"
        priority: 10  # as soon as its dataset's GANs are done, before the other dataset's GANs
        conda:
            "../../envs/kdgen.yaml"
        resources:
            gpu=gpu_count,
        params:
            runs=ganrep_fid_runs(_dataset),
            image_size=config["ganrep"]["image_size"],
            inception=config["ganrep"]["inception_weights"],
            arch=config["ganrep"]["fid_classifier"],
        script:
            "../scripts/ganrep_fid.py"


rule ganrep_table:
    input:
        unpack(ganrep_table_inputs),
    output:
        csv=report(
            "results/ganrep/tables/runs.csv",
            caption="../report/ganrep_runs.rst",
            category="ganrep",
            subcategory="tables",
        ),
        md="results/ganrep/tables/runs.md",
    log:
        "results/logs/ganrep/table.log",
    """ganrep table: every run's ID, replication %, ratio test, FID and KID."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        runs=ganrep_table_runs(),
        main_alpha=config["ganrep"]["main_alpha"],
    script:
        "../scripts/ganrep_table.py"


rule ganrep_summary:
    input:
        "results/ganrep/tables/runs.csv",
    output:
        csv=report(
            "results/ganrep/tables/summary.csv",
            caption="../report/ganrep_summary.rst",
            category="ganrep",
            subcategory="tables",
        ),
        md="results/ganrep/tables/summary.md",
    log:
        "results/logs/ganrep/summary.log",
    """ganrep table: every curve point over seeds, mean and spread of replication %, ratio test and FID."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        alpha=config["ganrep"]["main_alpha"],
    script:
        "../scripts/ganrep_summary.py"


rule ganrep_fits:
    input:
        "results/ganrep/tables/runs.csv",
    output:
        fits=report(
            "results/ganrep/tables/fits.csv",
            caption="../report/ganrep_fits.rst",
            category="ganrep",
            subcategory="tables",
        ),
        fits_md="results/ganrep/tables/fits.md",
        one_shot=report(
            "results/ganrep/tables/one_shot.csv",
            caption="../report/ganrep_one_shot_table.rst",
            category="ganrep",
            subcategory="tables",
        ),
        one_shot_md="results/ganrep/tables/one_shot.md",
        minimal=report(
            "results/ganrep/tables/minimal_size.csv",
            caption="../report/ganrep_minimal_size.rst",
            category="ganrep",
            subcategory="tables",
        ),
        minimal_md="results/ganrep/tables/minimal_size.md",
    log:
        "results/logs/ganrep/fits.log",
    """ganrep tables: exponential fits per curve, one-shot leave-one-out estimates, minimal sizes."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        alpha=config["ganrep"]["main_alpha"],
        target=config["ganrep"]["target_replication"],
    script:
        "../scripts/ganrep_fits.py"


for _figure in GANREP_FIGURES:

    # one rule per figure (ganrep_figure_<name>), each with its own inputs and caption
    rule:
        name:
            f"ganrep_figure_{_figure}"
        input:
            unpack(ganrep_figure_inputs(_figure)),
        output:
            png=report(
                f"results/ganrep/figures/{_figure}.png",
                caption=f"../report/ganrep_{_figure}.rst",
                category="ganrep",
                subcategory="figures",
            ),
            pdf=f"results/ganrep/figures/{_figure}.pdf",
        log:
            f"results/logs/ganrep/figure_{_figure}.log",
        """ganrep figure (one rule per figure, named ganrep_figure_<figure>): its caption says what it shows."""
        localrule: True
        conda:
            "../../envs/kdgen.yaml"
        params:
            figure=_figure,
            alpha=config["ganrep"]["main_alpha"],
            image_size=config["ganrep"]["image_size"],
            neighbour_runs=(ganrep_neighbour_runs() if _figure == "nearest_neighbours" else []),
        script:
            "../scripts/ganrep_figure.py"
