"""What a study adds to the shared planning, in one shape: the distillation students it trains, the
classifier runs it needs beyond its students' teachers, the config checks of its block, and the teacher
kinds it adds. Each study's ``plan.py`` holds one :class:`StudyPlan`; :mod:`kdgen.studies` lists them,
and the workflow asks that list, so the shared core never imports a study. Torch-free."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kdgen.distill.plan import TeacherKind

Config = Mapping[str, Any]


def _none(config: Config) -> list[dict[str, Any]]:
    return []


@dataclass(frozen=True)
class StudyPlan:
    """A study's part of the plan: ``name`` (its config block and target group), ``problems(config)`` (what
    the schema cannot see), ``students(config)`` (``distill.students``-shaped entries), ``classifier_runs(config)``
    (classifier runs it trains beside its students' teachers) and ``teacher_kinds``."""

    name: str
    problems: Callable[[Config], list[str]]
    students: Callable[[Config], list[dict[str, Any]]] = _none
    classifier_runs: Callable[[Config], list[dict[str, Any]]] = _none
    teacher_kinds: Sequence[TeacherKind] = field(default_factory=tuple)
