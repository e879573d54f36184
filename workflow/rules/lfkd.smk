# lfkd: low fidelity in ensemble KD. Per dataset a teacher pool (weak, strong, ladder levels; one run per
# teacher seed, trained by train_classifier), students of the paper's named configs (distill_student) and
# no-KD students (train_classifier), measured together on the held-out split; tables and figures over all.
from types import SimpleNamespace

from kdgen.lfkd.plan import lfkd_baselines, lfkd_pool, lfkd_students

LFKD = "results/lfkd"
LFKD_FIGURES = ["iou_vs_strength", "overfitting_vs_iou", "fidelity_vs_top1"]


def lfkd_models(dataset):
    """The models the lfkd measures of ``dataset`` read: its teacher pool, its students (the config name
    and seed, their teachers as pool keys) and its no-KD students, each with its best checkpoint."""
    if dataset not in config["lfkd"]["datasets"]:
        raise ValueError(f"{dataset!r} is not one of lfkd.datasets {list(config['lfkd']['datasets'])}")
    models = [
        {"role": "teacher", "aug": r["aug"], "seed": r["seed"], "path": f"{TRAIN}/best.pt".format(**r)}
        for r in lfkd_pool(config, dataset)
    ]
    for s in lfkd_students(config):
        if s["dataset"] == dataset:
            run = {"train_subset": s["subset"], **s, "student": s["name"], "seed": s["seeds"][0]}
            models.append(
                {
                    "role": "student",
                    "config": s["name"],
                    "kind": "kd",
                    "aug": s["aug"],
                    "seed": s["seeds"][0],
                    "teachers": [[t["aug"], t["seed"]] for t in s["teachers"]],
                    "path": f"{DISTILL}/best.pt".format(**run),
                }
            )
    for r in lfkd_baselines(config):
        if r["dataset"] == dataset:
            models.append(
                {
                    "role": "student",
                    "config": f"noKD_S{r['aug'][0]}",
                    "kind": "none",
                    "aug": r["aug"],
                    "seed": r["seed"],
                    "teachers": [],
                    "path": f"{TRAIN}/best.pt".format(**r),
                }
            )
    return models


def lfkd_measure_inputs(wildcards):
    """A dataset's data (the students' training subset) and the checkpoints of its lfkd models."""
    subset = config["lfkd"]["datasets"][wildcards.dataset]["student_subset"]
    data = training_inputs(SimpleNamespace(dataset=wildcards.dataset, train_subset=subset))
    return {**data, "checkpoints": [m["path"] for m in lfkd_models(wildcards.dataset)]}


def lfkd_params(wildcards):
    """The lfkd settings the measures use, and the models in the order of their checkpoints."""
    keys = ("attention", "threshold", "ece_bins", "split", "grid_images", "affinity_reference")
    return {**{k: config["lfkd"][k] for k in keys}, "seed": config["seed"], "models": lfkd_models(wildcards.dataset)}


def lfkd_measure_files(name):
    return [f"{LFKD}/{dataset}/{name}" for dataset in config["lfkd"]["datasets"]]


def lfkd_targets():
    """The lfkd study's leaves: its tables and figures (none when lfkd.datasets is empty)."""
    if not config["lfkd"]["datasets"]:
        return []
    targets = [f"{LFKD}/tables/{t}.{ext}" for t in ("configs", "teachers") for ext in ("csv", "md")]
    targets += [f"{LFKD}/figures/{f}.{ext}" for f in LFKD_FIGURES for ext in ("png", "pdf")]
    targets += [
        f"{LFKD}/figures/attention_grid_{d}.{ext}" for d in config["lfkd"]["datasets"] for ext in ("png", "pdf")
    ]
    return targets


rule lfkd_measures:
    """Measures of one dataset's lfkd models on lfkd.split: students (top-1, overfitting gaps, fidelity, KL, MI,
    entropy, ECE, attention IoU), teachers (top-1, Affinity, mask coverage), teacher pairs (IoU), grid maps."""
    input:
        unpack(lfkd_measure_inputs),
    output:
        students=f"{LFKD}/{{dataset}}/students.csv",
        teachers=f"{LFKD}/{{dataset}}/teachers.csv",
        pairs=f"{LFKD}/{{dataset}}/teacher_pairs.csv",
        maps=f"{LFKD}/{{dataset}}/attention_maps.npz",
    log:
        "results/logs/lfkd/{dataset}/measures.log",
    benchmark:
        "results/benchmarks/lfkd/{dataset}/measures.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 2
    resources:
        gpu=gpu_count,
    params:
        lfkd=lfkd_params,
        device=config["device"],
    script:
        "../scripts/lfkd_measures.py"


rule lfkd_table:
    input:
        lfkd_measure_files("students.csv"),
    output:
        csv=report(
            f"{LFKD}/tables/configs.csv",
            caption="../report/lfkd_configs.rst",
            category="lfkd",
            subcategory="tables",
        ),
        md=f"{LFKD}/tables/configs.md",
    log:
        "results/logs/lfkd/table_configs.log",
    """lfkd table: one row per dataset and config (and no-KD student) with every measure, mean and std over seeds."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        attention=config["lfkd"]["attention"],
    script:
        "../scripts/lfkd_table.py"


rule lfkd_teacher_table:
    input:
        teachers=lfkd_measure_files("teachers.csv"),
        pairs=lfkd_measure_files("teacher_pairs.csv"),
    output:
        csv=report(
            f"{LFKD}/tables/teachers.csv",
            caption="../report/lfkd_teachers.rst",
            category="lfkd",
            subcategory="tables",
        ),
        md=f"{LFKD}/tables/teachers.md",
    log:
        "results/logs/lfkd/table_teachers.log",
    """lfkd table: the teacher pool per dataset and augmentation: top-1, Affinity, IoU of teacher pairs by method."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        attention=config["lfkd"]["attention"],
    script:
        "../scripts/lfkd_teacher_table.py"


rule lfkd_figure_iou_vs_strength:
    input:
        teachers=lfkd_measure_files("teachers.csv"),
        pairs=lfkd_measure_files("teacher_pairs.csv"),
    output:
        png=report(
            f"{LFKD}/figures/iou_vs_strength.png",
            caption="../report/lfkd_iou_vs_strength.rst",
            category="lfkd",
            subcategory="figures",
        ),
        pdf=f"{LFKD}/figures/iou_vs_strength.pdf",
    log:
        "results/logs/lfkd/figure_iou_vs_strength.log",
    """lfkd figure: IoU of two teachers of one augmentation vs its Affinity (its strength), per dataset."""
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="iou_vs_strength",
        attention=config["lfkd"]["attention"],
    script:
        "../scripts/lfkd_figure.py"


use rule lfkd_figure_iou_vs_strength as lfkd_figure_overfitting_vs_iou with:
    input:
        students=lfkd_measure_files("students.csv"),
    output:
        png=report(
            f"{LFKD}/figures/overfitting_vs_iou.png",
            caption="../report/lfkd_overfitting_vs_iou.rst",
            category="lfkd",
            subcategory="figures",
        ),
        pdf=f"{LFKD}/figures/overfitting_vs_iou.pdf",
    log:
        "results/logs/lfkd/figure_overfitting_vs_iou.log",
    """lfkd figure: each student's overfitting gap (clean and augmented) vs the IoU of its two teachers."""
    localrule: True
    params:
        figure="overfitting_vs_iou",
        attention=config["lfkd"]["attention"],


use rule lfkd_figure_iou_vs_strength as lfkd_figure_fidelity_vs_top1 with:
    input:
        students=lfkd_measure_files("students.csv"),
    output:
        png=report(
            f"{LFKD}/figures/fidelity_vs_top1.png",
            caption="../report/lfkd_fidelity_vs_top1.rst",
            category="lfkd",
            subcategory="figures",
        ),
        pdf=f"{LFKD}/figures/fidelity_vs_top1.pdf",
    log:
        "results/logs/lfkd/figure_fidelity_vs_top1.log",
    """lfkd figure: each student's fidelity and mutual information with its teachers vs its top-1."""
    localrule: True
    params:
        figure="fidelity_vs_top1",
        attention=config["lfkd"]["attention"],


use rule lfkd_figure_iou_vs_strength as lfkd_figure_attention_grid with:
    input:
        maps=f"{LFKD}/{{dataset}}/attention_maps.npz",
    output:
        png=report(
            f"{LFKD}/figures/attention_grid_{{dataset}}.png",
            caption="../report/lfkd_attention_grid.rst",
            category="lfkd",
            subcategory="figures",
            labels={"figure": "attention grid", "dataset": "{dataset}"},
        ),
        pdf=f"{LFKD}/figures/attention_grid_{{dataset}}.pdf",
    log:
        "results/logs/lfkd/figure_attention_grid_{dataset}.log",
    """lfkd figure: attention maps of T1, T2 and the student for weak vs strong teachers on the same images."""
    localrule: True
    params:
        figure="attention_grid",
        attention=config["lfkd"]["attention"],
        threshold=config["lfkd"]["threshold"],


rule lfkd:
    input:
        lfkd_targets(),
    """Target group: every lfkd table and figure with the teachers and students they measure."""
    localrule: True
