"""The distillation students a config asks for (``distill.students``; the studies add theirs) and their
teachers, and the checks that can be made before any job runs. Torch-free: the Snakefile imports this at
parse time.

A student names its teachers, T1, T2, ... in the order listed. A teacher is a classifier run (arch, aug
and seed, on the student's dataset and subset unless it names others: a teacher trained on the full train
split for a student of a long-tail subset, say), whose classes must be the student's; the classifier rule
trains it like any entry of ``classifiers``. A study can add teachers of another kind (:class:`TeacherKind`:
the xkd study's text-fed teacher T_x): a teacher entry that holds a kind's key is of that kind, and the kind says
how the table labels it, which files the distillation job reads and how the job builds it.

A student's name is free (letters, digits, underscores); a name in the lfkd paper's form
``T1{w|s}_T2{w|s}[_T3{w|s}]_S{w|s}`` must say what the run is: one ``T<k>`` per teacher, numbered from 1,
w or s as the teacher's augmentation is weak or strong, and the student's after ``S``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kdgen.train.plan import dataset_classes, run_problems

STUDENT_KEYS = ("dataset", "subset", "arch", "aug", "method", "name")


@dataclass(frozen=True)
class TeacherKind:
    """A kind of teacher other than a classifier run, added by a study.

    ``key``: a teacher entry that holds this key is of this kind (its value names the model, e.g. a text arm);
    ``label``: the teacher's model in the classifier table's ``teachers`` column (e.g. ``T_x(relaxed)``);
    ``checkpoint``: the file the distillation job reads for a teacher (the expanded entry of
    :func:`student_teachers`); ``inputs``: ``(teacher, config) ->`` the other files that job needs;
    ``settings``: ``config ->`` the settings the builder needs; ``builder``: ``"module:function"``, called in
    the job as ``function(checkpoint, inputs, settings, num_classes)`` to build the teacher module.
    """

    key: str
    label: Callable[[Mapping[str, Any]], str]
    checkpoint: Callable[[Mapping[str, Any]], str]
    inputs: Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, str]]
    settings: Callable[[Mapping[str, Any]], dict[str, Any]]
    builder: str


def teacher_kind(teacher: Mapping[str, Any], kinds: Mapping[str, TeacherKind]) -> TeacherKind | None:
    """The kind of ``teacher`` (an entry of a student's ``teachers``, given or expanded): the registered kind
    whose key it holds, or None for a classifier run."""
    return next((kind for key, kind in kinds.items() if key in teacher), None)


def is_classifier_teacher(teacher: Mapping[str, Any]) -> bool:
    """Whether a teacher entry is a classifier run (it names an architecture), not a teacher of a study's kind."""
    return "arch" in teacher


def student_teachers(student: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The teachers of a student named T1, T2, ... in the order listed: classifier runs (the wildcards of
    train_classifier; dataset and subset default to the student's), and teachers of a study's kind as
    given, on the student's dataset (e.g. the xkd study's T_x, ``{<its kind's key>: arm, "seed": s}``, of that
    text arm and seed)."""
    teachers = []
    for k, t in enumerate(student["teachers"], 1):
        if not is_classifier_teacher(t):
            teachers.append({"name": f"T{k}", **{f: v for f, v in t.items() if f != "seed"}, "dataset": student["dataset"], "seed": t["seed"]})
            continue
        teachers.append(
            {
                "name": f"T{k}",
                "dataset": t.get("dataset", student["dataset"]),
                "train_subset": t.get("subset", student["subset"]),
                "arch": t["arch"],
                "aug": t["aug"],
                "seed": t["seed"],
            }
        )
    return teachers


def classifier_teachers(student: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The teachers of a student that are classifier runs."""
    return [t for t in student_teachers(student) if is_classifier_teacher(t)]


def student_runs(students: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (student, seed) of ``students``: the wildcards of a distillation run."""
    runs = []
    for s in students:
        for seed in s["seeds"]:
            runs.append(
                {"dataset": s["dataset"], "train_subset": s["subset"], "arch": s["arch"], "aug": s["aug"],
                 "method": s["method"], "student": s["name"], "seed": seed}
            )
    return runs


def find_student(students: Sequence[Mapping[str, Any]], run: Mapping[str, Any]) -> dict[str, Any]:
    """The entry of ``students`` of a distillation run's wildcards (dataset, train_subset, arch, aug, method,
    student, seed); a run no entry asks for is a ValueError naming it."""
    for s in students:
        ident = (s["dataset"], s["subset"], s["arch"], s["aug"], s["method"], s["name"])
        if ident == tuple(str(run[k]) for k in ("dataset", "train_subset", "arch", "aug", "method", "student")):
            if int(run["seed"]) in s["seeds"]:
                return dict(s)
    shown = "/".join(str(run[k]) for k in ("dataset", "train_subset", "arch", "aug", "method", "student"))
    raise ValueError(f"no entry of distill.students nor any study asks for {shown}/seed-{run['seed']}; add it to the config or fix the target")


def method_label(student: Mapping[str, Any] | None) -> str:
    """The ``method`` column of the classifier table: ``ce`` for a classifier, ``<method>:<name>`` for a student."""
    return "ce" if student is None else f"{student['method']}:{student['name']}"


def teacher_set_label(student: Mapping[str, Any], kinds: Mapping[str, TeacherKind]) -> str:
    """The teachers of a student, readable: ``T1 tiny/weak/seed-0 + T2 tiny/strong/seed-1`` (a teacher's
    dataset and subset are shown where they are not the student's; a teacher of a study's kind as its kind
    labels it, e.g. ``T3 T_x(relaxed)/seed-0``)."""
    parts = []
    for t in student_teachers(student):
        kind = teacher_kind(t, kinds)
        if kind is not None:
            parts.append(f"{t['name']} {kind.label(t)}/seed-{t['seed']}")
            continue
        where = "" if (t["dataset"], t["train_subset"]) == (student["dataset"], student["subset"]) else f"{t['dataset']}/{t['train_subset']}/"
        parts.append(f"{t['name']} {where}{t['arch']}/{t['aug']}/seed-{t['seed']}")
    return " + ".join(parts)


PAPER_NAME_FORM = "T1{w|s}_T2{w|s}[_T3{w|s}]_S{w|s}"

PAPER_NAME_SHAPE = re.compile(r"(?:T[0-9]+[A-Za-z]*_)+S[A-Za-z]*")  # anything that reads as the paper's form

STRENGTHS = {"w": "weak", "s": "strong"}

def student_name_problem(name: str, student_aug: str, teacher_augs: list[str]) -> str | None:
    """Why a student's name misleads, or None: a name in the shape of the lfkd paper's
    ``T1{w|s}_T2{w|s}[_T3{w|s}]_S{w|s}`` must number its teachers from T1, have one ``T<k>`` per teacher,
    and mark each model w (weak) or s (strong) as its augmentation is; other names are free."""
    if not PAPER_NAME_SHAPE.fullmatch(name):
        return None
    *teachers, student = name.split("_")
    form = f"names in the lfkd paper's form {PAPER_NAME_FORM}"
    for k, part in enumerate(teachers, 1):
        if not re.fullmatch(rf"T{k}[ws]", part):
            return f"{part!r} should be T{k}w or T{k}s: {form} number the teachers from T1 and mark each w (weak) or s (strong)"
    if not re.fullmatch(r"S[ws]", student):
        return f"{student!r} should be Sw or Ss: {form} end with the student's augmentation, w (weak) or s (strong)"
    if len(teachers) != len(teacher_augs):
        return f"names {len(teachers)} teacher{'s' * (len(teachers) > 1)} but the student lists {len(teacher_augs)}: {form} have one T<k> per teacher"
    for part, aug in zip([*teachers, student], [*teacher_augs, student_aug]):
        if STRENGTHS[part[-1]] != aug:
            model = "the student" if part == student else f"teacher {part[:-1]}"
            return f"{part!r} says {STRENGTHS[part[-1]]}, but {model} is trained with aug {aug!r}: {form} say how each model is augmented"
    return None


def student_entry_problems(key: str, student: Mapping[str, Any], datasets: Mapping[str, Any]) -> list[str]:
    """Problems of one ``distill.students`` entry: its own run, each teacher's run, the teachers' classes,
    the same teacher listed twice, and a name in the paper's form that does not say what the run is."""
    problems = run_problems(key, student, datasets)
    mine = dataset_classes(datasets[student["dataset"]]) if student["dataset"] in datasets else None
    seen: dict[tuple[Any, ...], int] = {}
    for j, (t, run) in enumerate(zip(student["teachers"], student_teachers(student))):
        tkey = f"{key}.teachers[{j}]"
        found = run_problems(tkey, {**t, "dataset": run["dataset"], "subset": run["train_subset"]}, datasets, "" if "subset" in t else " (the student's)")
        # a dataset or subset taken from the student is reported once, for the student
        inherited = [f"{tkey}.dataset"] * ("dataset" not in t) + [f"{tkey}.subset"] * ("dataset" not in t and "subset" not in t)
        problems += [p for p in found if not p.startswith(tuple(inherited))]
        theirs = dataset_classes(datasets[run["dataset"]]) if run["dataset"] in datasets else None
        if mine is not None and theirs is not None and run["dataset"] != student["dataset"]:
            if theirs[0] != mine[0]:
                problems.append(
                    f"{tkey}.dataset = {run['dataset']!r}: {theirs[0]} classes, but the student's dataset {student['dataset']!r} "
                    f"has {mine[0]}; a teacher must predict the student's classes"
                )
            elif theirs[1] != mine[1]:
                problems.append(
                    f"{tkey}.dataset = {run['dataset']!r}: its {theirs[0]} classes are not those of the student's dataset "
                    f"{student['dataset']!r}; a teacher must predict the student's classes, in the same order"
                )
        ident = tuple(run[k] for k in ("dataset", "train_subset", "arch", "aug", "seed"))
        if ident in seen:
            problems.append(f"{tkey}: the same classifier run as teachers[{seen[ident]}] ({'/'.join(map(str, ident))}); use another seed or drop one")
        seen.setdefault(ident, j)
    problem = student_name_problem(student["name"], student["aug"], [t["aug"] for t in student["teachers"]])
    if problem:
        problems.append(f"{key}.name = {student['name']!r}: {problem}")
    return problems


def student_problems(config: Mapping[str, Any], study_students: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """Problems of the ``distill.students`` entries (each one's runs, teachers and name; two entries with one
    output folder), and an entry with the output folder of a student a study adds (``study_students``: the
    study's name -> its students)."""
    problems = []
    datasets = config["datasets"]
    students: dict[tuple[Any, ...], int] = {}
    for i, student in enumerate(config.get("distill", {}).get("students", [])):
        key = f"distill.students[{i}]"
        problems += student_entry_problems(key, student, datasets)
        ident = tuple(student[k] for k in ("dataset", "subset", "arch", "aug", "method", "name"))
        if ident in students:
            problems.append(
                f"{key}.name = {student['name']!r}: distill.students[{students[ident]}] has the same dataset, subset, arch, aug "
                "and name, and so the same output folder; give one of them another name"
            )
        students.setdefault(ident, i)
    for study, generated in study_students.items():
        for student in generated:
            ident = tuple(student[k] for k in ("dataset", "subset", "arch", "aug", "method", "name"))
            if ident in students:
                problems.append(
                    f"distill.students[{students[ident]}].name = {student['name']!r}: the {study} study has a student with the same "
                    "dataset, subset, arch, aug and name, and so the same output folder; give the distill entry another name"
                )
    return problems
