"""The distillation methods a config names (``distill.students[].method``), by name.

A method is a trainer method (see :mod:`kdgen.train.trainer`) over named teachers; adding one adds a
module beside :mod:`kd` and an entry here (and its name to the schema's ``method`` enum).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from kdgen.distill.kd import KDConfig, KnowledgeDistillation

METHODS: dict[str, Callable[[Mapping[str, nn.Module], Mapping[str, Any]], Any]] = {
    "kd": lambda teachers, settings: KnowledgeDistillation(teachers, KDConfig(**settings)),
}


def build_method(name: str, teachers: Mapping[str, nn.Module], settings: Mapping[str, Any]) -> Any:
    """The method ``name`` over ``teachers`` with its ``settings`` (for kd: alpha, beta, temperature)."""
    if name not in METHODS:
        raise ValueError(f"unknown distillation method {name!r}; expected one of {sorted(METHODS)}")
    return METHODS[name](teachers, settings)
