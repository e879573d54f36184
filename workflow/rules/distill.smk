# Distillation: students trained from teachers (distill.students, and the studies' students), evaluated,
# drawn and tabulated like the classifiers (their runs join results/train/tables/classifiers.*). A teacher
# is a classifier run, or of a kind a study registers (kdgen.distill.plan.TeacherKind: the xkd study's T_x),
# whose checkpoint, inputs and builder its kind gives.


include: "inputs/distill.smk"


rule distill_student:
    """Distil one student (dataset, subset, arch, aug, method, teacher-set name, seed) from the best checkpoints
    of its teachers; outputs shaped like a classifier run's (its evaluations too), plus teachers.json; resumable."""

    # resumable state in <run>/.resume while the job runs (see train_classifier)
    input:
        unpack(distill_inputs),
    output:
        best=f"{DISTILL}/best.pt",
        last=f"{DISTILL}/last.pt",
        metrics=f"{DISTILL}/metrics.csv",
        timing=f"{DISTILL}/timing.csv",
        val=f"{DISTILL}/eval-val.json",
        test=f"{DISTILL}/eval-test.json",
        teachers=f"{DISTILL}/teachers.json",
    log:
        f"{DISTILL_LOGS}/train.log",
    benchmark:
        f"{DISTILL_BENCH}/train.tsv"
    conda:
        "../../envs/kdgen.yaml"
    threads: 1  # as train_classifier
    resources:
        gpu=gpu_count,
        mem_mb=heavy_mem_mb,
        runtime=heavy_runtime,
    params:
        training=config["training"],
        device=config["device"],
        precision=config["precision"],
        weights=arch_weights,
        method=distill_method,
        teachers=distill_teachers,
        state_dir=student_resume_dir,
        teacher_kinds=distill_teacher_kinds,
        eval_batch_size=config["training"]["eval_batch_size"],
    script:
        "../scripts/distill/student.py"


use rule learning_curve as student_learning_curve with:
    """Figure: loss and top-1 per epoch of one student."""
    input:
        f"{DISTILL}/metrics.csv",
    output:
        png=report(
            f"{DISTILL}/learning_curve.png",
            caption="../report/student_learning_curve.rst",
            category="Distillation",
            subcategory="{dataset} {train_subset} {arch} {aug} {method} {student}",
            labels={"figure": "learning curve", "seed": "{seed}"},
        ),
        pdf=f"{DISTILL}/learning_curve.pdf",
    log:
        f"{DISTILL_LOGS}/learning_curve.log",
    localrule: True


rule distill:
    """Target group: every configured student with its teachers, evaluations and curves, and the classifier table."""
    input:
        distill_targets(),
    localrule: True
