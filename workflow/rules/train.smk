# Classifiers: training, evaluation, learning curves, and the tables of every trained classifier.
from kdgen.distill.plan import find_student, method_label, student_runs, teacher_set_label


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
    return {
        **training_inputs(wildcards),
        "checkpoint": f"{TRAIN}/best.pt".format(**wildcards),
    }


def resume_dir(wildcards):
    return f"{TRAIN}/.resume".format(**wildcards)


def arch_weights(wildcards):
    return config["models"]["weights"].get(wildcards.arch)


def run_dirs():
    """Every classifier run: the classifiers list and the students' teachers."""
    return [TRAIN.format(**run) for run in trained_classifier_runs(config)]


def classifier_table_runs():
    """Every run of the classifier table with its folder: classifiers (method ce) and students (<method>:<name>)."""
    runs = [
        {**run, "method": method_label(None), "teachers": "", "dir": TRAIN.format(**run)}
        for run in trained_classifier_runs(config)
    ]
    students = all_students(config)
    for run in student_runs(students):
        student = find_student(students, run)
        runs.append(
            {
                **{k: run[k] for k in ("dataset", "train_subset", "arch", "aug", "seed")},
                "method": method_label(student),
                "teachers": teacher_set_label(student, TEACHER_KINDS),
                "dir": DISTILL.format(**run),
            }
        )
    return runs


def classifier_table_inputs(wildcards):
    runs = [r["dir"] for r in classifier_table_runs()]
    return {
        "metrics": [f"{r}/metrics.csv" for r in runs],
        "val": [f"{r}/eval-val.json" for r in runs],
        "test": [f"{r}/eval-test.json" for r in runs],
    }


def classifier_table_records(wildcards):
    """The table's keys of each run, in the order of its inputs."""
    return [{k: v for k, v in r.items() if k != "dir"} for r in classifier_table_runs()]


CLASSIFIER_TABLE = ["results/train/tables/classifiers.csv", "results/train/tables/classifiers.md"]


def train_targets():
    targets = [
        "results/train/tables/model_zoo.csv",
        "results/train/tables/model_zoo.md",
    ]
    if classifier_table_runs():
        targets += CLASSIFIER_TABLE
    for run in run_dirs():
        targets += [f"{run}/learning_curve.png", f"{run}/learning_curve.pdf"]
    return targets


rule train_classifier:
    """Train one classifier (dataset, subset, arch, aug, seed); best/last weights, per-epoch metrics (deterministic)
    and per-epoch seconds (timing.csv); resumable."""

    # The resumable state lives in <run>/.resume/ while the job runs (it must survive a killed job,
    # which a declared output would not: Snakemake deletes incomplete outputs) and is removed at the end.
    input:
        unpack(training_inputs),
    output:
        best=f"{TRAIN}/best.pt",
        last=f"{TRAIN}/last.pt",
        metrics=f"{TRAIN}/metrics.csv",
        timing=f"{TRAIN}/timing.csv",
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
    script:
        "../scripts/train_classifier.py"


rule evaluate_classifier:
    """Evaluate a classifier's best checkpoint on the held-out val split or the test split."""
    input:
        unpack(evaluation_inputs),
    output:
        f"{TRAIN}/eval-{{split}}.json",
    log:
        f"{TRAIN_LOGS}/eval-{{split}}.log",
    benchmark:
        "results/benchmarks/train/{dataset}/{train_subset}/{arch}/{aug}/seed-{seed}/eval-{split}.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 2
    resources:
        gpu=gpu_count,
    params:
        device=config["device"],
        precision=config["precision"],
        batch_size=config["training"]["eval_batch_size"],
    script:
        "../scripts/train_evaluate.py"


rule learning_curve:
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
    """Figure: loss and top-1 per epoch of one classifier run."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/train_learning_curve.py"


rule classifier_table:
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
    """Table: every classifier (classifiers and teachers, method ce) and every student (method <method>:<name>),
    seeds aggregated to mean and std."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        runs=classifier_table_records,
    script:
        "../scripts/train_classifier_table.py"


rule model_zoo_table:
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
    """Table: parameter counts of the model zoo beside the published ones."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/train_model_zoo.py"


rule train:
    input:
        train_targets(),
    """Target group: the model-zoo table and every configured classifier with its curves and tables."""
    localrule: True
