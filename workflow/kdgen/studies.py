"""The four studies, as the workflow sees them: the registry above the study slices and the shared core.

The core plans classifiers and distillation students and knows no study; each study's ``plan.py`` says
what it adds (:class:`kdgen.plan.StudyPlan`). This module lists those plans, in the order the workflow
has always combined them, and answers the questions that need every study: all distillation students,
all classifier runs, the teacher kinds, and every config problem. Torch-free.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from kdgen.data.sources import check_real_sources
from kdgen.distill import plan as distill
from kdgen.distill.plan import TeacherKind
from kdgen.ganrep.plan import PLAN as GANREP
from kdgen.gmaug.plan import PLAN as GMAUG
from kdgen.lfkd.plan import PLAN as LFKD
from kdgen.plan import StudyPlan
from kdgen.train import plan as train
from kdgen.xkd.plan import PLAN as XKD

STUDIES: tuple[StudyPlan, ...] = (GANREP, GMAUG, LFKD, XKD)
TEACHER_KINDS: dict[str, TeacherKind] = {kind.key: kind for study in STUDIES for kind in study.teacher_kinds}


def all_students(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every distillation student: ``distill.students``, then each study's (lfkd's, then xkd's)."""
    return [*config.get("distill", {}).get("students", []), *(s for study in STUDIES for s in study.students(config))]


def trained_classifier_runs(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every classifier run the workflow trains, evaluates and tabulates: the classifiers list, then the
    students' classifier teachers, then the runs the studies add (the lfkd teacher pools and no-KD
    students, the xkd no-KD students), each once."""
    teachers = [t for s in all_students(config) for t in distill.classifier_teachers(s)]
    return train.trained_classifier_runs(config, teachers, [r for study in STUDIES for r in study.classifier_runs(config)])


def classifier_datasets(config: Mapping[str, Any]) -> dict[str, str]:
    """Every dataset some classifier trains on, with the first thing that does (for a message)."""
    found: dict[str, str] = {}
    for run in trained_classifier_runs(config):
        found.setdefault(run["dataset"], f"a classifier ({run['arch']}, {run['aug']})")
    for student in all_students(config):
        found.setdefault(student["dataset"], f"the student {student['name']!r}")
    for name in config.get("gmaug", {}).get("datasets", {}):
        found.setdefault(name, "gmaug's classifiers")
    for name in config.get("xkd", {}).get("datasets", {}):
        found.setdefault(name, "xkd's T_x")
    ganrep = config.get("ganrep", {})
    if ganrep.get("generators") and not ganrep.get("inception_weights"):
        for name in ganrep.get("datasets", []):
            found.setdefault(name, f"ganrep's FID classifier ({ganrep.get('fid_classifier')})")
    return found


def config_problems(config: Mapping[str, Any]) -> list[str]:
    """Everything wrong with a schema-valid config that the schema cannot see, before any job runs: the
    real sources' files, datasets, classifiers and distillation students (the core's checks), then each
    study's."""
    problems = check_real_sources(config["datasets"]) + train.dataset_problems(config) + train.classifier_problems(config)
    problems += train.weights_problems(config) + train.validation_problems(config, classifier_datasets(config))
    problems += distill.student_problems(config, {study.name: study.students(config) for study in STUDIES})
    for study in STUDIES:
        problems += study.problems(config)
    return problems


# The studies' claims on the scorecard (``kdgen.<study>.claims``: CLAIMS and findings()), in the order the
# scorecard lists them; imported only when scored (they need pandas and scipy, planning does not).
CLAIM_STUDIES: tuple[str, ...] = ("ganrep", "lfkd", "xkd", "gmaug")


def study_claims(study: str) -> ModuleType:
    """The claims module of ``study``."""
    if study not in CLAIM_STUDIES:
        raise ValueError(f"no claims for study {study!r}; studies with claims: {list(CLAIM_STUDIES)}")
    return importlib.import_module(f"kdgen.{study}.claims")
