# gmaug: when do generative models help on imbalanced image data (Guo et al. 2023)? Per dataset: SSIM-supSubCls,
# the original classifier on the imbalanced subset (a train_classifier run), class-conditional generators trained
# on that subset and asked for candidates, classifiers retrained on the filtered, re-balanced set (steps and
# ablations), and the gain against SSIM-supSubCls beside the published points.
from kdgen.gmaug.plan import dataset_target, generator_seed, gmaug_arms, ssim_protocols

GMAUG = "results/gmaug"
GMAUG_GEN = "results/gmaug/{dataset}/generators/{gmaug_generator}/seed-{generator_seed}"
GMAUG_CLS = "results/gmaug/{dataset}/classifiers/{gmaug_generator}/{gmaug_arm}/seed-{seed}"
GMAUG_ORIG = "results/gmaug/{dataset}/classifiers/original/seed-{seed}"
GMAUG_PAPER = reference("gmaug_paper.csv")
GMAUG_TABLES = ["gain", "ssim", "fit"]
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
    """gain: every run's metrics, test evaluation and class counts, and every dataset's SSIM; ssim: the SSIM
    files; fit: the gain table."""
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
    """The dataset, generator, arm and seed of each run, in the order of the table's inputs."""
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
        "../scripts/gmaug_ssim.py"


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
        "../scripts/gmaug_generate.py"


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
        "../scripts/gmaug_external.py"


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
        "../scripts/gmaug_classifier.py"


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
        "../scripts/gmaug_classifier.py"


rule gmaug_table:
    input:
        unpack(gmaug_table_inputs),
    output:
        csv=report(
            f"{GMAUG}/tables/{{table}}.csv",
            caption="../report/gmaug_tables.rst",
            category="gmaug",
            subcategory="tables",
            labels={"table": "{table}"},
        ),
        md=f"{GMAUG}/tables/{{table}}.md",
    log:
        "results/logs/gmaug/table_{table}.log",
    wildcard_constraints:
        table=names_pattern(GMAUG_TABLES),
    """A gmaug table: gain (per dataset, generator, arm: accuracies under both protocols, gain, counts,
    acceptance; mean and std over seeds), ssim (per super-class, both protocols) or fit (gain = A exp(-k x)
    per generator and protocol, both R^2, the published form)."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        runs=lambda w: gmaug_table_records(w) if w.table == "gain" else [],
        datasets=list(config["gmaug"]["datasets"]),
        last_epochs=config["gmaug"]["last_epochs"],
    script:
        "../scripts/gmaug_table.py"


rule gmaug_figure_gain:
    input:
        gain=f"{GMAUG}/tables/gain.csv",
        fit=f"{GMAUG}/tables/fit.csv",
        paper=GMAUG_PAPER,
        paper_fit="results/reference/gmaug_paper_fit.csv",
    output:
        png=report(
            f"{GMAUG}/figures/gain_vs_ssim.png",
            caption="../report/gmaug_gain_figure.rst",
            category="gmaug",
            subcategory="figures",
        ),
        pdf=f"{GMAUG}/figures/gain_vs_ssim.pdf",
    log:
        "results/logs/gmaug/figure_gain_vs_ssim.log",
    """Figure: gain vs SSIM-supSubCls per generator with the fitted curves (this run), beside the published points
    and their re-fitted curve."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/gmaug_figure_gain.py"


rule gmaug_figure_samples:
    input:
        unpack(gmaug_data_inputs),
        candidates=lambda w: [
            gmaug_candidates(w.dataset, g, config["gmaug"]["seeds"][0]) for g in config["gmaug"]["generators"]
        ],
        selections=lambda w: gmaug_step1_files(w, "selection.npz"),
    output:
        png=report(
            f"{GMAUG}/figures/samples_{{dataset}}.png",
            caption="../report/gmaug_samples.rst",
            category="gmaug",
            subcategory="figures",
            labels={"figure": "samples", "dataset": "{dataset}"},
        ),
        pdf=f"{GMAUG}/figures/samples_{{dataset}}.pdf",
    log:
        "results/logs/gmaug/{dataset}/figure_samples.log",
    """Figure: per class, real images of the imbalanced subset beside each generator's candidates that step 1
    kept and rejected (first seed)."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        generators=list(config["gmaug"]["generators"]),
        per_class=config["gmaug"]["samples_per_class"],
    script:
        "../scripts/gmaug_figure_samples.py"


rule gmaug_figure_learning_curves:
    input:
        metrics=lambda w: [f"{r['dir']}/metrics.csv" for r in gmaug_runs(w.dataset)],
    output:
        png=report(
            f"{GMAUG}/figures/learning_curves_{{dataset}}.png",
            caption="../report/gmaug_learning_curves.rst",
            category="gmaug",
            subcategory="figures",
            labels={"figure": "learning curves", "dataset": "{dataset}"},
        ),
        pdf=f"{GMAUG}/figures/learning_curves_{{dataset}}.pdf",
    log:
        "results/logs/gmaug/{dataset}/figure_learning_curves.log",
    """Figure: validation top-1 and training loss per epoch of the original and re-balanced classifiers of a
    dataset (mean over seeds)."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        runs=lambda w: [{k: r[k] for k in ("generator", "arm", "seed")} for r in gmaug_runs(w.dataset)],
    script:
        "../scripts/gmaug_figure_learning_curves.py"


rule gmaug_figure_class_counts:
    input:
        classes=lambda w: gmaug_step1_files(w, "classes.csv"),
    output:
        png=report(
            f"{GMAUG}/figures/class_counts_{{dataset}}.png",
            caption="../report/gmaug_class_counts.rst",
            category="gmaug",
            subcategory="figures",
            labels={"figure": "class counts", "dataset": "{dataset}"},
        ),
        pdf=f"{GMAUG}/figures/class_counts_{{dataset}}.pdf",
    log:
        "results/logs/gmaug/{dataset}/figure_class_counts.log",
    """Figure: images per class of a dataset before and after re-balancing (each generator's step 1, real and
    generated stacked; first seed), with the target and the acceptance rate."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        generators=list(config["gmaug"]["generators"]),
    script:
        "../scripts/gmaug_figure_class_counts.py"


rule gmaug_paper_fit:
    input:
        GMAUG_PAPER,
    output:
        csv=report(
            "results/reference/gmaug_paper_fit.csv",
            caption="../report/gmaug_paper_fit.rst",
            category="gmaug",
            subcategory="published measurements",
        ),
        md="results/reference/gmaug_paper_fit.md",
    log:
        "results/logs/reference/gmaug_paper_fit.log",
    """gmaug: the published gains re-fitted with gain = A exp(-k x) (both R^2, the published form beside)."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/gmaug_paper_fit.py"


rule gmaug_paper_fit_figure:
    input:
        paper=GMAUG_PAPER,
        fit="results/reference/gmaug_paper_fit.csv",
    output:
        png=report(
            "results/reference/gmaug_paper_fit.png",
            caption="../report/gmaug_paper_fit.rst",
            category="gmaug",
            subcategory="published measurements",
        ),
        pdf="results/reference/gmaug_paper_fit.pdf",
    log:
        "results/logs/reference/gmaug_paper_fit_figure.log",
    """gmaug: the published points with the re-fitted and the published curves."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    script:
        "../scripts/gmaug_paper_fit_figure.py"


rule gmaug:
    input:
        gmaug_targets(),
    """Target group: the gmaug study (every table and figure, and the published points re-fitted)."""
    localrule: True
