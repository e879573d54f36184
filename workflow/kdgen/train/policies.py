"""Augmentation policy names, without importing torch (checked when Snakemake parses the workflow);
:mod:`kdgen.train.augment` builds the transforms."""

from __future__ import annotations

import re

POLICY_PATTERN = r"none|base|weak|strong|randaugment-[0-9]+-[0-9]+|ladder-[0-9]+"


def policy_problem(name: str) -> str | None:
    """Why ``name`` is not a usable augmentation policy, or None: unknown names, RandAugment magnitudes
    outside 0..30 and ladder levels outside 0..10."""
    if not re.fullmatch(POLICY_PATTERN, name):
        return f"unknown augmentation {name!r}; expected one of {POLICY_PATTERN.replace('|', ', ')}"
    kind, *values = name.split("-")
    if kind == "randaugment" and int(values[1]) > 30:
        return f"RandAugment magnitude must be 0..30, got {values[1]} in {name!r}"
    if kind == "ladder" and int(values[0]) > 10:
        return f"ladder level must be 0..10, got {values[0]} in {name!r}"
    return None
