# gmaug: when do generative models help on imbalanced image data (Guo et al. 2023)? Per dataset: SSIM-supSubCls,
# the original classifier on the imbalanced subset (a train_classifier run), class-conditional generators trained
# on that subset and asked for candidates, classifiers retrained on the filtered, re-balanced set (steps and
# ablations), and the gain against SSIM-supSubCls beside the published points.


include: "inputs/gmaug.smk"


rule gmaug_ssim:
    """SSIM_set of every super-class of a dataset's imbalanced subset (mean, standard error, pairs) and
    SSIM-supSubCls (their max), under the authors' latest protocol and the configured one."""
    input:
        unpack(gmaug_data_inputs),
    output:
        f"{GMAUG}/{{dataset}}/ssim.csv",
    log:
        "results/logs/gmaug/{dataset}/ssim.log",
    benchmark:
        "results/benchmarks/gmaug/{dataset}/ssim.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    params:
        protocols=lambda w: ssim_protocols(config["gmaug"]),
    script:
        "../scripts/gmaug/ssim.py"


rule gmaug_generate:
    """Train a built-in class-conditional generator (cGAN or diffusion) on a dataset's imbalanced subset, then
    draw oversample x the missing images of every class below its target as candidates; resumable."""
    input:
        unpack(gmaug_data_inputs),
    output:
        generator=f"{GMAUG_GEN}/generator.pt",
        losses=f"{GMAUG_GEN}/losses.csv",
        candidates=f"{GMAUG_GEN}/candidates.npz",
    log:
        "results/logs/gmaug/{dataset}/generators/{gmaug_generator}/seed-{generator_seed}/train.log",
    benchmark:
        "results/benchmarks/gmaug/{dataset}/generators/{gmaug_generator}/seed-{generator_seed}/train.tsv"
    wildcard_constraints:
        gmaug_generator=names_pattern(
            [n for n, s in config["gmaug"]["generators"].items() if s["family"] != "external"]
        ),
    # the generators are the branch's long jobs: they start first (diffusion, the longest, before the cGAN), and
    # the short classifier jobs fill the other core
    priority: lambda w: 2 if config["gmaug"]["generators"][w.gmaug_generator]["family"] == "diffusion" else 1
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    resources:
        gpu=gpu_count,
        mem_mb=heavy_mem_mb,
        runtime=heavy_runtime,
    params:
        spec=lambda w: config["gmaug"]["generators"][w.gmaug_generator],
        target=lambda w: dataset_target(config["gmaug"], w.dataset),
        oversample=config["gmaug"]["oversample"],
        device=config["device"],
        state_dir=lambda w: f"{GMAUG_GEN}/.resume".format(**w),
    script:
        "../scripts/gmaug/generate.py"


rule gmaug_external:
    """Read an external generator's class-labelled samples as a dataset's candidates (as many per class as a
    built-in generator would draw)."""
    input:
        unpack(gmaug_data_inputs),
        samples=gmaug_external_samples,
    output:
        candidates=f"{GMAUG_GEN}/candidates.npz",
    log:
        "results/logs/gmaug/{dataset}/generators/{gmaug_generator}/seed-{generator_seed}/external.log",
    wildcard_constraints:
        gmaug_generator=names_pattern(
            [n for n, s in config["gmaug"]["generators"].items() if s["family"] == "external"]
        ),
    conda:
        "../../envs/kdgen.yaml"
    params:
        target=lambda w: dataset_target(config["gmaug"], w.dataset),
        oversample=config["gmaug"]["oversample"],
    script:
        "../scripts/gmaug/external.py"


rule gmaug_classifier:
    """Re-balance a dataset's imbalanced subset with a generator's candidates (arm: step1, step2, no_filter,
    random), record the training set (the source of every image) and the per-class counts and acceptance,
    train a classifier on it through the classifier trainer, and evaluate its best checkpoint on test; resumable."""
    input:
        unpack(gmaug_classifier_inputs),
    output:
        best=f"{GMAUG_CLS}/best.pt",
        last=f"{GMAUG_CLS}/last.pt",
        metrics=f"{GMAUG_CLS}/metrics.csv",
        timing=f"{GMAUG_CLS}/timing.csv",
        selection=f"{GMAUG_CLS}/selection.npz",
        classes=f"{GMAUG_CLS}/classes.csv",
        test=f"{GMAUG_CLS}/eval-test.json",
    log:
        "results/logs/gmaug/{dataset}/classifiers/{gmaug_generator}/{gmaug_arm}/seed-{seed}/train.log",
    benchmark:
        "results/benchmarks/gmaug/{dataset}/classifiers/{gmaug_generator}/{gmaug_arm}/seed-{seed}/train.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    resources:
        gpu=gpu_count,
        mem_mb=heavy_mem_mb,
        runtime=heavy_runtime,
    params:
        gmaug=config["gmaug"],
        target=lambda w: dataset_target(config["gmaug"], w.dataset),
        training=gmaug_training(),
        device=config["device"],
        precision=config["precision"],
        weights=lambda w: config["models"]["weights"].get(config["gmaug"]["arch"]),
        eval_batch_size=config["training"]["eval_batch_size"],
        state_dir=lambda w: f"{GMAUG_CLS}/.resume".format(**w),
    script:
        "../scripts/gmaug/classifier.py"


rule gmaug_original:
    """Train the original classifier of a dataset on its imbalanced subset alone (the study's recipe) and evaluate
    its best checkpoint on test; it filters the candidates of step 1; resumable."""
    input:
        unpack(gmaug_data_inputs),
    output:
        best=f"{GMAUG_ORIG}/best.pt",
        last=f"{GMAUG_ORIG}/last.pt",
        metrics=f"{GMAUG_ORIG}/metrics.csv",
        timing=f"{GMAUG_ORIG}/timing.csv",
        test=f"{GMAUG_ORIG}/eval-test.json",
    log:
        "results/logs/gmaug/{dataset}/classifiers/original/seed-{seed}/train.log",
    benchmark:
        "results/benchmarks/gmaug/{dataset}/classifiers/original/seed-{seed}/train.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1
    resources:
        gpu=gpu_count,
        mem_mb=heavy_mem_mb,
        runtime=heavy_runtime,
    params:
        gmaug=config["gmaug"],
        training=gmaug_training(),
        device=config["device"],
        precision=config["precision"],
        weights=lambda w: config["models"]["weights"].get(config["gmaug"]["arch"]),
        eval_batch_size=config["training"]["eval_batch_size"],
        state_dir=lambda w: f"{GMAUG_ORIG}/.resume".format(**w),
    script:
        "../scripts/gmaug/classifier.py"


rule gmaug_table:
    """A gmaug table: runs (one row per classifier run: accuracies under both protocols and, re-balanced,
    the gain over the original of its seed), gain (per dataset, generator, arm: accuracies under both protocols, gain, counts,
    acceptance; mean and std over seeds), ssim (per super-class, both protocols) or fit (gain = A exp(-k x)
    per generator and protocol, both R^2, the published form)."""
    input:
        unpack(gmaug_table_inputs),
    output:
        csv=report(
            f"{GMAUG}/tables/{{table}}.csv",
            caption="../report/gmaug/tables.rst",
            category="gmaug",
            subcategory="tables",
            labels={"table": "{table}"},
        ),
        md=f"{GMAUG}/tables/{{table}}.md",
    log:
        "results/logs/gmaug/table_{table}.log",
    wildcard_constraints:
        table=names_pattern(GMAUG_TABLES),
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        runs=gmaug_table_records,
        datasets=list(config["gmaug"]["datasets"]),
        last_epochs=config["gmaug"]["last_epochs"],
    script:
        "../scripts/gmaug/table.py"


rule gmaug_figure_gain:
    """Figure: gain vs SSIM-supSubCls per generator with the fitted curves (this run), beside the published points
    and their re-fitted curve."""
    input:
        gain=f"{GMAUG}/tables/gain.csv",
        fit=f"{GMAUG}/tables/fit.csv",
        paper=GMAUG_PAPER,
        paper_fit="results/reference/gmaug_paper_fit.csv",
    output:
        png=report(
            f"{GMAUG}/figures/gain_vs_ssim.png",
            caption="../report/gmaug/gain_figure.rst",
            category="gmaug",
            subcategory="figures",
        ),
        pdf=f"{GMAUG}/figures/gain_vs_ssim.pdf",
    log:
        "results/logs/gmaug/figure_gain_vs_ssim.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="gain",
    script:
        "../scripts/gmaug/figures.py"


rule gmaug_figure_samples:
    """Figure: per class, real images of the imbalanced subset beside each generator's candidates that step 1
    kept and rejected (first seed)."""
    input:
        unpack(gmaug_data_inputs),
        candidates=lambda w: [
            gmaug_candidates(w.dataset, g, config["gmaug"]["seeds"][0]) for g in config["gmaug"]["generators"]
        ],
        selections=lambda w: gmaug_step1_files(w, "selection.npz"),
    output:
        png=report(
            f"{GMAUG}/figures/samples_{{dataset}}.png",
            caption="../report/gmaug/samples.rst",
            category="gmaug",
            subcategory="figures",
            labels={"figure": "samples", "dataset": "{dataset}"},
        ),
        pdf=f"{GMAUG}/figures/samples_{{dataset}}.pdf",
    log:
        "results/logs/gmaug/{dataset}/figure_samples.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="samples",
        generators=list(config["gmaug"]["generators"]),
        per_class=config["gmaug"]["samples_per_class"],
    script:
        "../scripts/gmaug/figures.py"


rule gmaug_figure_learning_curves:
    """Figure: validation top-1 and training loss per epoch of the original and re-balanced classifiers of a
    dataset (mean over seeds)."""
    input:
        metrics=lambda w: [f"{r['dir']}/metrics.csv" for r in gmaug_runs(w.dataset)],
    output:
        png=report(
            f"{GMAUG}/figures/learning_curves_{{dataset}}.png",
            caption="../report/gmaug/learning_curves.rst",
            category="gmaug",
            subcategory="figures",
            labels={"figure": "learning curves", "dataset": "{dataset}"},
        ),
        pdf=f"{GMAUG}/figures/learning_curves_{{dataset}}.pdf",
    log:
        "results/logs/gmaug/{dataset}/figure_learning_curves.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="learning_curves",
        runs=lambda w: [{k: r[k] for k in ("generator", "arm", "seed")} for r in gmaug_runs(w.dataset)],
    script:
        "../scripts/gmaug/figures.py"


rule gmaug_figure_class_counts:
    """Figure: images per class of a dataset before and after re-balancing (each generator's step 1, real and
    generated stacked; first seed), with the target and the acceptance rate."""
    input:
        classes=lambda w: gmaug_step1_files(w, "classes.csv"),
    output:
        png=report(
            f"{GMAUG}/figures/class_counts_{{dataset}}.png",
            caption="../report/gmaug/class_counts.rst",
            category="gmaug",
            subcategory="figures",
            labels={"figure": "class counts", "dataset": "{dataset}"},
        ),
        pdf=f"{GMAUG}/figures/class_counts_{{dataset}}.pdf",
    log:
        "results/logs/gmaug/{dataset}/figure_class_counts.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="class_counts",
        generators=list(config["gmaug"]["generators"]),
    script:
        "../scripts/gmaug/figures.py"


rule gmaug_paper_fit:
    """gmaug: the published gains re-fitted with gain = A exp(-k x) (both R^2, the published form beside)."""
    input:
        GMAUG_PAPER,
    output:
        csv=report(
            "results/reference/gmaug_paper_fit.csv",
            caption="../report/gmaug/paper_fit.rst",
            category="gmaug",
            subcategory="published measurements",
        ),
        md="results/reference/gmaug_paper_fit.md",
    log:
        "results/logs/reference/gmaug_paper_fit.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/gmaug/paper_fit.py"


rule gmaug_paper_fit_figure:
    """gmaug: the published points with the re-fitted and the published curves."""
    input:
        paper=GMAUG_PAPER,
        fit="results/reference/gmaug_paper_fit.csv",
    output:
        png=report(
            "results/reference/gmaug_paper_fit.png",
            caption="../report/gmaug/paper_fit.rst",
            category="gmaug",
            subcategory="published measurements",
        ),
        pdf="results/reference/gmaug_paper_fit.pdf",
    log:
        "results/logs/reference/gmaug_paper_fit_figure.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="paper_fit",
    script:
        "../scripts/gmaug/figures.py"


rule gmaug:
    """Target group: the gmaug study (every table and figure, and the published points re-fitted)."""
    input:
        gmaug_targets(),
    localrule: True
