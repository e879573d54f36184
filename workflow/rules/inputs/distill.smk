# The distill rules' paths, input functions and wildcard constraints
# (included at the top of workflow/rules/distill.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).
from kdgen.distill.plan import find_student, student_runs, student_teachers, teacher_kind


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


def student_dirs():
    return [DISTILL.format(**run) for run in student_runs(all_students(config))]


def distill_targets():
    """Every configured student with its teachers, evaluations and curves, and the classifier table."""
    targets = []
    for run in student_dirs():
        files = ["teachers.json", "eval-val.json", "eval-test.json", "learning_curve.png", "learning_curve.pdf"]
        targets += [f"{run}/{f}" for f in files]
    return targets + CLASSIFIER_TABLE if targets else []
