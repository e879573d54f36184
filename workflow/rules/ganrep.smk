# ganrep: GAN replication vs dataset size and intrinsic dimensionality (Feng et al., ICCV 2021):
# the published measurements re-fitted, and GANs trained, sampled, measured, tabulated and drawn.


include: "inputs/ganrep.smk"


rule ganrep_paper_fit:
    """ganrep: the published measurements re-fitted with R = a^(b x - c) (the paper's fit table)."""
    input:
        GANREP_PAPER,
    output:
        csv=report(
            "results/reference/ganrep_paper_fit.csv",
            caption="../report/ganrep/paper_fit.rst",
            category="ganrep",
            subcategory="published measurements",
        ),
        md="results/reference/ganrep_paper_fit.md",
    log:
        "results/logs/reference/ganrep_paper_fit.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        alpha=8000,
    script:
        "../scripts/ganrep/paper_fit.py"


rule ganrep_paper_fit_figure:
    """ganrep: the published points and our re-fitted curves against intrinsic dimension."""
    input:
        paper=GANREP_PAPER,
        fits="results/reference/ganrep_paper_fit.csv",
    output:
        png=report(
            "results/reference/ganrep_paper_fit.png",
            caption="../report/ganrep/paper_fit_figure.rst",
            category="ganrep",
            subcategory="published measurements",
        ),
        pdf="results/reference/ganrep_paper_fit.pdf",
    log:
        "results/logs/reference/ganrep_paper_fit_figure.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="paper_fit",
        alpha=8000,
    script:
        "../scripts/ganrep/figures.py"


rule ganrep:
    """Target group: the ganrep study (published re-fit always; the GAN branch when ganrep.generators is set)."""
    input:
        ganrep_targets(),
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
        "../scripts/ganrep/train.py"


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
        "../scripts/ganrep/external_samples.py"


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
            "../scripts/ganrep/replication.py"


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
            "../scripts/ganrep/id.py"


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
            "../scripts/ganrep/fid.py"


rule ganrep_table:
    """ganrep table: every run's ID, replication %, ratio test, FID and KID."""
    input:
        unpack(ganrep_table_inputs),
    output:
        csv=report(
            "results/ganrep/tables/runs.csv",
            caption="../report/ganrep/runs.rst",
            category="ganrep",
            subcategory="tables",
        ),
        md="results/ganrep/tables/runs.md",
    log:
        "results/logs/ganrep/table.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        runs=ganrep_table_runs(),
        main_alpha=config["ganrep"]["main_alpha"],
    script:
        "../scripts/ganrep/table.py"


rule ganrep_summary:
    """ganrep table: every curve point over seeds, mean and spread of replication %, ratio test and FID."""
    input:
        "results/ganrep/tables/runs.csv",
    output:
        csv=report(
            "results/ganrep/tables/summary.csv",
            caption="../report/ganrep/summary.rst",
            category="ganrep",
            subcategory="tables",
        ),
        md="results/ganrep/tables/summary.md",
    log:
        "results/logs/ganrep/summary.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        alpha=config["ganrep"]["main_alpha"],
    script:
        "../scripts/ganrep/summary.py"


rule ganrep_fits:
    """ganrep tables: exponential fits per curve, one-shot leave-one-out estimates, minimal sizes."""
    input:
        "results/ganrep/tables/runs.csv",
    output:
        fits=report(
            "results/ganrep/tables/fits.csv",
            caption="../report/ganrep/fits.rst",
            category="ganrep",
            subcategory="tables",
        ),
        fits_md="results/ganrep/tables/fits.md",
        one_shot=report(
            "results/ganrep/tables/one_shot.csv",
            caption="../report/ganrep/one_shot_table.rst",
            category="ganrep",
            subcategory="tables",
        ),
        one_shot_md="results/ganrep/tables/one_shot.md",
        minimal=report(
            "results/ganrep/tables/minimal_size.csv",
            caption="../report/ganrep/minimal_size.rst",
            category="ganrep",
            subcategory="tables",
        ),
        minimal_md="results/ganrep/tables/minimal_size.md",
    log:
        "results/logs/ganrep/fits.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        alpha=config["ganrep"]["main_alpha"],
        target=config["ganrep"]["target_replication"],
    script:
        "../scripts/ganrep/fits.py"


for _figure in GANREP_FIGURES:

    # one rule per figure (ganrep_figure_<name>), each with its own inputs and caption
    rule:
        """ganrep figure (one rule per figure, named ganrep_figure_<figure>): its caption says what it shows."""
        name:
            f"ganrep_figure_{_figure}"
        input:
            unpack(ganrep_figure_inputs(_figure)),
        output:
            png=report(
                f"results/ganrep/figures/{_figure}.png",
                caption=f"../report/ganrep/{_figure}.rst",
                category="ganrep",
                subcategory="figures",
            ),
            pdf=f"results/ganrep/figures/{_figure}.pdf",
        log:
            f"results/logs/ganrep/figure_{_figure}.log",
        localrule: True
        conda:
            "../../envs/kdgen.yaml"
        params:
            figure=_figure,
            alpha=config["ganrep"]["main_alpha"],
            image_size=config["ganrep"]["image_size"],
            neighbour_runs=(ganrep_neighbour_runs() if _figure == "nearest_neighbours" else []),
        script:
            "../scripts/ganrep/figures.py"
