# The train rules' paths, input functions and wildcard constraints
# (included at the top of workflow/rules/train.smk, which holds the rules; Snakemake's linter wants
# functions and rules in separate files).
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
