# ganrep: GAN replication vs dataset size and intrinsic dimensionality (Feng et al., ICCV 2021).
# This stage so far re-fits the published measurements; the GAN-training branch is being built.


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
    params:
        alpha=8000,
    log:
        "results/logs/reference/ganrep_paper_fit.log",
    conda:
        "../../envs/kdgen.yaml"
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
    params:
        alpha=8000,
    log:
        "results/logs/reference/ganrep_paper_fit_figure.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_paper_fit_figure.py"


rule ganrep:
    input:
        ganrep_targets(),


rule ganrep_train:
    # built-in generators: train, then draw the samples from the EMA generator in the same job;
    # resumable state in <run>/.resume while the job runs (see train_classifier)
    input:
        unpack(ganrep_subset_inputs),
    output:
        generator=f"{GAN}/generator.pt",
        losses=f"{GAN}/losses.csv",
        samples=f"{GAN}/samples.npz",
    wildcard_constraints:
        generator=generator_names(external=False),
    params:
        spec=gan_spec,
        image_size=config["ganrep"]["image_size"],
        n=config["ganrep"]["num_samples"],
        device=config["device"],
        state_dir=gan_resume_dir,
    threads: 1
    resources:
        gpu=gpu_count,
        mem_mb=heavy_mem_mb,
        runtime=heavy_runtime,
    log:
        f"{GAN_LOGS}/train.log",
    benchmark:
        "results/benchmarks/ganrep/{generator}/{dataset}/size-{size}/seed-{seed}/train.tsv"
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_train.py"


rule ganrep_external_samples:
    # external generators: read the samples made elsewhere, brought to the study's image size
    input:
        external_sample_inputs,
    output:
        f"{GAN}/samples.npz",
    wildcard_constraints:
        generator=generator_names(external=True),
    params:
        n=config["ganrep"]["num_samples"],
        image_size=config["ganrep"]["image_size"],
    log:
        f"{GAN_LOGS}/sample.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_external_samples.py"


rule ganrep_replication:
    # pixel space always; with ganrep.feature_space also in the FID extractor's feature space
    input:
        unpack(ganrep_replication_inputs),
    output:
        summary=f"{GAN}/replication.json",
        neighbours=f"{GAN}/neighbours.npz",
    params:
        alphas=config["ganrep"]["alphas"],
        ratio=config["ganrep"]["ratio"],
        image_size=config["ganrep"]["image_size"],
        feature_space=config["ganrep"]["feature_space"],
        inception=config["ganrep"]["inception_weights"],
        arch=config["ganrep"]["fid_classifier"],
    log:
        f"{GAN_LOGS}/replication.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_replication.py"


rule ganrep_id:
    input:
        unpack(ganrep_subset_inputs),
    output:
        "results/ganrep/id/{dataset}/size-{size}.json",
    params:
        k=config["ganrep"]["id_k"],
        bootstrap=config["ganrep"]["id_bootstrap"],
    log:
        "results/logs/ganrep/id/{dataset}/size-{size}.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_id.py"


if ganrep_runs():

    rule ganrep_fid:
        # one job per dataset: the extractor and the training split's features are loaded once, and
        # every run's samples are scored against them (fid.json per run, in the order of the samples)
        input:
            unpack(ganrep_fid_inputs),
        output:
            ganrep_fid_outputs(),
        params:
            image_size=config["ganrep"]["image_size"],
            inception=config["ganrep"]["inception_weights"],
            arch=config["ganrep"]["fid_classifier"],
        resources:
            gpu=gpu_count,
        log:
            "results/logs/ganrep/fid/{dataset}.log",
        conda:
            "../../envs/kdgen.yaml"
        script:
            "../scripts/ganrep_fid.py"


rule ganrep_table:
    input:
        unpack(ganrep_table_inputs),
    output:
        csv=report("results/ganrep/tables/runs.csv", caption="../report/ganrep_runs.rst", category="ganrep", subcategory="tables"),
        md="results/ganrep/tables/runs.md",
    params:
        runs=ganrep_runs(),
        main_alpha=config["ganrep"]["main_alpha"],
    log:
        "results/logs/ganrep/table.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_table.py"


rule ganrep_fits:
    input:
        "results/ganrep/tables/runs.csv",
    output:
        fits="results/ganrep/tables/fits.csv",
        fits_md="results/ganrep/tables/fits.md",
        one_shot="results/ganrep/tables/one_shot.csv",
        one_shot_md="results/ganrep/tables/one_shot.md",
        minimal=report("results/ganrep/tables/minimal_size.csv", caption="../report/ganrep_minimal_size.rst", category="ganrep", subcategory="tables"),
        minimal_md="results/ganrep/tables/minimal_size.md",
    params:
        alpha=config["ganrep"]["main_alpha"],
        target=config["ganrep"]["target_replication"],
    log:
        "results/logs/ganrep/fits.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_fits.py"


rule ganrep_figure:
    input:
        unpack(ganrep_grid_inputs),
        runs="results/ganrep/tables/runs.csv",
        fits="results/ganrep/tables/fits.csv",
        one_shot="results/ganrep/tables/one_shot.csv",
        paper=GANREP_PAPER,
        paper_fits="results/reference/ganrep_paper_fit.csv",
    output:
        png=report("results/ganrep/figures/{figure}.png", caption="../report/ganrep_figure.rst", category="ganrep", subcategory="figures"),
        pdf="results/ganrep/figures/{figure}.pdf",
    wildcard_constraints:
        figure="|".join(GANREP_FIGURES),
    params:
        alpha=config["ganrep"]["main_alpha"],
        image_size=config["ganrep"]["image_size"],
        extractor=config["ganrep"]["fid_classifier"],
        inception=config["ganrep"]["inception_weights"],
    log:
        "results/logs/ganrep/figure_{figure}.log",
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/ganrep_figure.py"
