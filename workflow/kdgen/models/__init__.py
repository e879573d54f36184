"""The model zoo: classifiers by config name (see :func:`build_model` and :data:`ARCHITECTURES`).

The zoo (and torch) is imported on first use, so that :mod:`kdgen.models.architectures` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "ARCHITECTURES",
    "PUBLISHED_PARAMS_M",
    "ModelError",
    "Normalized",
    "build_model",
    "cam_parts",
    "classifier_layer",
    "count_parameters",
    "feature_map",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("kdgen.models.zoo"), name)
    raise AttributeError(f"module 'kdgen.models' has no attribute {name!r}")
