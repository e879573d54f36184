# lfkd: low fidelity in ensemble KD. Per dataset a teacher pool (weak, strong, ladder levels; one run per
# teacher seed, trained by train_classifier), students of the paper's named configs (distill_student) and
# no-KD students (train_classifier), measured together on the held-out split; tables and figures over all.


include: "inputs/lfkd.smk"


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
        "../scripts/lfkd/measures.py"


rule lfkd_table:
    """lfkd table: one row per dataset and config (and no-KD student) with every measure, mean and std over seeds."""
    input:
        lfkd_measure_files("students.csv"),
    output:
        csv=report(
            f"{LFKD}/tables/configs.csv",
            caption="../report/lfkd/configs.rst",
            category="lfkd",
            subcategory="tables",
        ),
        md=f"{LFKD}/tables/configs.md",
    log:
        "results/logs/lfkd/table_configs.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        attention=config["lfkd"]["attention"],
    script:
        "../scripts/lfkd/table.py"


rule lfkd_teacher_table:
    """lfkd table: the teacher pool per dataset and augmentation: top-1, Affinity, IoU of teacher pairs by method."""
    input:
        teachers=lfkd_measure_files("teachers.csv"),
        pairs=lfkd_measure_files("teacher_pairs.csv"),
    output:
        csv=report(
            f"{LFKD}/tables/teachers.csv",
            caption="../report/lfkd/teachers.rst",
            category="lfkd",
            subcategory="tables",
        ),
        md=f"{LFKD}/tables/teachers.md",
    log:
        "results/logs/lfkd/table_teachers.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        attention=config["lfkd"]["attention"],
    script:
        "../scripts/lfkd/teacher_table.py"


rule lfkd_figure_iou_vs_strength:
    """lfkd figure: IoU of two teachers of one augmentation vs its Affinity (its strength), per dataset."""
    input:
        teachers=lfkd_measure_files("teachers.csv"),
        pairs=lfkd_measure_files("teacher_pairs.csv"),
    output:
        png=report(
            f"{LFKD}/figures/iou_vs_strength.png",
            caption="../report/lfkd/iou_vs_strength.rst",
            category="lfkd",
            subcategory="figures",
        ),
        pdf=f"{LFKD}/figures/iou_vs_strength.pdf",
    log:
        "results/logs/lfkd/figure_iou_vs_strength.log",
    localrule: True
    conda:
        "../../envs/kdgen.yaml"
    params:
        figure="iou_vs_strength",
        attention=config["lfkd"]["attention"],
    script:
        "../scripts/lfkd/figures.py"


use rule lfkd_figure_iou_vs_strength as lfkd_figure_overfitting_vs_iou with:
    """lfkd figure: each student's overfitting gap (clean and augmented) vs the IoU of its two teachers."""
    input:
        students=lfkd_measure_files("students.csv"),
    output:
        png=report(
            f"{LFKD}/figures/overfitting_vs_iou.png",
            caption="../report/lfkd/overfitting_vs_iou.rst",
            category="lfkd",
            subcategory="figures",
        ),
        pdf=f"{LFKD}/figures/overfitting_vs_iou.pdf",
    log:
        "results/logs/lfkd/figure_overfitting_vs_iou.log",
    localrule: True
    params:
        figure="overfitting_vs_iou",
        attention=config["lfkd"]["attention"],


use rule lfkd_figure_iou_vs_strength as lfkd_figure_fidelity_vs_top1 with:
    """lfkd figure: each student's fidelity and mutual information with its teachers vs its top-1."""
    input:
        students=lfkd_measure_files("students.csv"),
    output:
        png=report(
            f"{LFKD}/figures/fidelity_vs_top1.png",
            caption="../report/lfkd/fidelity_vs_top1.rst",
            category="lfkd",
            subcategory="figures",
        ),
        pdf=f"{LFKD}/figures/fidelity_vs_top1.pdf",
    log:
        "results/logs/lfkd/figure_fidelity_vs_top1.log",
    localrule: True
    params:
        figure="fidelity_vs_top1",
        attention=config["lfkd"]["attention"],


use rule lfkd_figure_iou_vs_strength as lfkd_figure_attention_grid with:
    """lfkd figure: attention maps of T1, T2 and the student for weak vs strong teachers on the same images."""
    input:
        maps=f"{LFKD}/{{dataset}}/attention_maps.npz",
    output:
        png=report(
            f"{LFKD}/figures/attention_grid_{{dataset}}.png",
            caption="../report/lfkd/attention_grid.rst",
            category="lfkd",
            subcategory="figures",
            labels={"figure": "attention grid", "dataset": "{dataset}"},
        ),
        pdf=f"{LFKD}/figures/attention_grid_{{dataset}}.pdf",
    log:
        "results/logs/lfkd/figure_attention_grid_{dataset}.log",
    localrule: True
    params:
        figure="attention_grid",
        attention=config["lfkd"]["attention"],
        threshold=config["lfkd"]["threshold"],


rule lfkd:
    """Target group: every lfkd table and figure with the teachers and students they measure."""
    input:
        lfkd_targets(),
    localrule: True
