"""Architecture names of the model zoo, without importing torch: the config check and the workflow's
``{arch}`` wildcard constraint run when Snakemake parses the workflow, where importing torch would add
seconds to every start. :mod:`kdgen.models.zoo` builds exactly these names (a test keeps them in step).
"""

from __future__ import annotations

import re

CIFAR_DEPTHS = (8, 14, 20, 32, 44, 56, 110)
ARCH_NAMES = (
    *(f"resnet{d}" for d in CIFAR_DEPTHS),
    "resnet8x4",
    "resnet32x4",
    "mobilenetv2",
    "shufflenetv2",
    "resnet18",
    "resnet50",
    "tiny",
)
WRN = re.compile(r"wrn_(\d+)_(\d+)")
# every name build_model accepts, as a regex (the workflow's {arch} wildcard constraint)
ARCH_PATTERN = "|".join(sorted(ARCH_NAMES)) + r"|wrn_[0-9]+_[0-9]+"


def architecture_problem(name: str) -> str | None:
    """Why ``name`` is not a buildable architecture, or None: unknown names, and WRN depths that are
    not 6n+4 (n >= 1) or widths below 1."""
    match = WRN.fullmatch(name)
    if match:
        depth, width = int(match.group(1)), int(match.group(2))
        if depth < 10 or (depth - 4) % 6:
            return f"WRN depth must be 6n+4 with n >= 1 (10, 16, 22, 28, 40, ...), got {depth} in {name!r}"
        if width < 1:
            return f"WRN width must be at least 1, got {width} in {name!r}"
        return None
    if name not in ARCH_NAMES:
        return f"unknown architecture {name!r}; known: {sorted(ARCH_NAMES)} and wrn_<depth>_<width>"
    return None


