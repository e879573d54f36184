# Classifiers: training, evaluation, learning curves, and the tables of every trained classifier.


include: "inputs/train.smk"


rule train_classifier:
    """Train one classifier (dataset, subset, arch, aug, seed); best/last weights, per-epoch metrics (deterministic),
    per-epoch seconds (timing.csv) and the best checkpoint's evaluation on the val and test splits; resumable."""

    # The resumable state lives in <run>/.resume/ while the job runs (it must survive a killed job,
    # which a declared output would not: Snakemake deletes incomplete outputs) and is removed at the end.
    input:
        unpack(training_inputs),
    output:
        best=f"{TRAIN}/best.pt",
        last=f"{TRAIN}/last.pt",
        metrics=f"{TRAIN}/metrics.csv",
        timing=f"{TRAIN}/timing.csv",
        val=f"{TRAIN}/eval-val.json",
        test=f"{TRAIN}/eval-test.json",
    log:
        f"{TRAIN_LOGS}/train.log",
    benchmark:
        "results/benchmarks/train/{dataset}/{train_subset}/{arch}/{aug}/seed-{seed}/train.tsv"
    conda:
        "../../envs/kdgen.yaml"
    # one thread: the default's small models spend much of a step in per-image augmentation, which one
    # thread runs, so two jobs side by side beat one job on two threads (1.3x); profiles raise it
    threads: 1
    resources:
        gpu=gpu_count,
        mem_mb=heavy_mem_mb,
        runtime=heavy_runtime,
    params:
        training=config["training"],
        device=config["device"],
        precision=config["precision"],
        weights=arch_weights,
        state_dir=resume_dir,
        eval_batch_size=config["training"]["eval_batch_size"],
    script:
        "../scripts/train/classifier.py"


rule learning_curve:
    """Figure: loss and top-1 per epoch of one classifier run."""
    input:
        f"{TRAIN}/metrics.csv",
    output:
        png=report(
            f"{TRAIN}/learning_curve.png",
            caption="../report/learning_curve.rst",
            category="Classifiers",
            subcategory="{dataset} {train_subset} {arch} {aug}",
            labels={"figure": "learning curve", "seed": "{seed}"},
        ),
        pdf=f"{TRAIN}/learning_curve.pdf",
    log:
        f"{TRAIN_LOGS}/learning_curve.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/train/learning_curve.py"


rule classifier_table:
    """Table: every classifier (classifiers and teachers, method ce) and every student (method <method>:<name>),
    seeds aggregated to mean and std."""
    input:
        unpack(classifier_table_inputs),
    output:
        csv=report(
            "results/train/tables/classifiers.csv",
            caption="../report/classifier_table.rst",
            category="Classifiers",
            subcategory="tables",
        ),
        md="results/train/tables/classifiers.md",
    log:
        "results/logs/train/classifier_table.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        runs=classifier_table_records,
    script:
        "../scripts/train/classifier_table.py"


rule model_zoo_table:
    """Table: parameter counts of the model zoo beside the published ones."""
    output:
        csv=report(
            "results/train/tables/model_zoo.csv",
            caption="../report/model_zoo.rst",
            category="Classifiers",
            subcategory="tables",
        ),
        md="results/train/tables/model_zoo.md",
    log:
        "results/logs/train/model_zoo.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/train/model_zoo.py"


rule train:
    """Target group: the model-zoo table and every configured classifier with its curves and tables."""
    input:
        train_targets(),
    localrule: True
