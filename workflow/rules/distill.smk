# Distillation: students trained from teachers (distill.students, and the studies' students), evaluated,
# drawn and tabulated like the classifiers (their runs join results/train/tables/classifiers.*). A teacher
# is a classifier run, or of a kind a study registers (kdgen.distill.plan.TeacherKind: the xkd study's T_x),
# whose checkpoint, inputs and builder its kind gives.
from kdgen.distill.plan import student_teachers, teacher_kind


def student_spec(wildcards):
    """The distill.students entry of a student run."""
    return find_student(all_students(config), wildcards)


def teacher_checkpoint(teacher):
    """The best checkpoint of a student's teacher: a classifier run's (train_classifier), or the file its
    kind names (a teacher of a kind a study adds, e.g. the xkd study's T_x)."""
    kind = teacher_kind(teacher, TEACHER_KINDS)
    return f"{TRAIN}/best.pt".format(**teacher) if kind is None else kind.checkpoint(teacher)


def distill_inputs(wildcards):
    """A student's data and its teachers' best checkpoints, in the teachers' order, and the other files a
    teacher of a study's kind reads (the CLIP embeddings a T_x looks its batches up in, say)."""
    teachers = student_teachers(student_spec(wildcards))
    inputs = {**training_inputs(wildcards), "teachers": [teacher_checkpoint(t) for t in teachers]}
    for t in teachers:
        kind = teacher_kind(t, TEACHER_KINDS)
        if kind is not None:
            inputs.update(kind.inputs(t, config))
    return inputs


def distill_teachers(wildcards):
    """The teachers of a student run (name T1, T2, ..., and their classifier-run wildcards)."""
    return student_teachers(student_spec(wildcards))


def distill_teacher_kinds(wildcards):
    """Per teacher of a student run: None for a classifier run, else how the job builds a teacher of a
    study's kind (its builder and settings)."""
    kinds = [teacher_kind(t, TEACHER_KINDS) for t in distill_teachers(wildcards)]
    return [None if k is None else {"builder": k.builder, "settings": k.settings(config)} for k in kinds]


def distill_method(wildcards):
    """The distillation method's settings (distill.alpha, beta, temperature) and the teachers' mode."""
    d = config["distill"]
    return {k: d[k] for k in ("alpha", "beta", "temperature", "teacher_mode")}


def student_resume_dir(wildcards):
    return f"{DISTILL}/.resume".format(**wildcards)


def student_evaluation_inputs(wildcards):
    return {
        **training_inputs(wildcards),
        "checkpoint": f"{DISTILL}/best.pt".format(**wildcards),
    }


def student_dirs():
    return [DISTILL.format(**run) for run in student_runs(all_students(config))]


def distill_targets():
    """Every configured student with its teachers, evaluations and curves, and the classifier table."""
    targets = []
    for run in student_dirs():
        files = ["teachers.json", "eval-val.json", "eval-test.json", "learning_curve.png", "learning_curve.pdf"]
        targets += [f"{run}/{f}" for f in files]
    return targets + CLASSIFIER_TABLE if targets else []


rule distill_student:
    """Distil one student (dataset, subset, arch, aug, method, teacher-set name, seed) from the best checkpoints
    of its teachers; outputs shaped like a classifier run's, plus teachers.json; resumable."""

    # resumable state in <run>/.resume while the job runs (see train_classifier)
    input:
        unpack(distill_inputs),
    output:
        best=f"{DISTILL}/best.pt",
        last=f"{DISTILL}/last.pt",
        metrics=f"{DISTILL}/metrics.csv",
        timing=f"{DISTILL}/timing.csv",
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
    script:
        "../scripts/distill_student.py"


use rule evaluate_classifier as evaluate_student with:
    """Evaluate a student's best checkpoint on the held-out val split or the test split."""
    input:
        unpack(student_evaluation_inputs),
    output:
        f"{DISTILL}/eval-{{split}}.json",
    log:
        f"{DISTILL_LOGS}/eval-{{split}}.log",
    benchmark:
        f"{DISTILL_BENCH}/eval-{{split}}.tsv"


use rule learning_curve as student_learning_curve with:
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
    """Figure: loss and top-1 per epoch of one student."""
    localrule: True


rule distill:
    input:
        distill_targets(),
    """Target group: every configured student with its teachers, evaluations and curves, and the classifier table."""
    localrule: True
