"""Config validation against the JSON schema: defaults filled in, every problem named by key path."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError, validators

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    """The config does not satisfy the schema; the message lists every problem."""


def _is_integer(checker: Any, instance: Any) -> bool:
    """An integer is an int (not a bool, not a float with a zero fraction): ``16.0`` for an image size or
    ``0.0`` for a seed would reach the code as a float (a path ``seed-0.0/``, a TypeError in a job)."""
    return isinstance(instance, int) and not isinstance(instance, bool)


#: JSON Schema 2020-12 with strict integers (the standard counts 16.0 as an integer; YAML keeps it a float).
Validator = validators.extend(Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


def load_schema(path: str | Path = SCHEMA_PATH) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text())


def resolve_ref(schema: Any, root: dict[str, Any]) -> Any:
    """Follow local ``$ref``s of a schema node; sibling keys of a ``$ref`` win over the target's."""
    while isinstance(schema, dict) and "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref supported, got {ref}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def fill_defaults(instance: Any, schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """Insert the schema's ``default`` for every missing property, recursively (returns a new object).

    Follows ``$ref``, array ``items``, ``additionalProperties`` maps and ``allOf`` if/then blocks whose
    ``if`` holds.
    """
    root = schema if root is None else root
    schema = resolve_ref(schema, root)
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return [fill_defaults(item, schema["items"], root) for item in instance]
    if not isinstance(instance, dict):
        return instance
    out = dict(instance)
    props = schema.get("properties", {})
    for key, sub in props.items():
        sub = resolve_ref(sub, root)
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if key in out:
            out[key] = fill_defaults(out[key], sub, root)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        for key in out:
            if key not in props:
                out[key] = fill_defaults(out[key], extra, root)
    for block in schema.get("allOf", []):
        if "if" in block and Draft202012Validator(block["if"]).is_valid(out):
            out = fill_defaults(out, block["then"], root)
    return out


def _path(parts: Iterator[Any] | list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _expected(err: ValidationError) -> str:
    v = err.validator_value
    described = err.schema.get("description") if isinstance(err.schema, dict) else None
    simple = {
        "type": f"a value of type {v}" + (" (a whole number written without a decimal point)" if "integer" in (v if isinstance(v, list) else [v]) and isinstance(err.instance, float) else ""),
        "minimum": f"a number >= {v}",
        "maximum": f"a number <= {v}",
        "exclusiveMinimum": f"a number > {v}",
        "exclusiveMaximum": f"a number < {v}",
        "enum": f"one of {v}",
        "const": f"exactly {v!r}",
        "pattern": f"a string matching {v}",
        "minItems": f"at least {v} items",
        "maxItems": f"at most {v} items",
        "uniqueItems": "items without repeats",
        "minProperties": f"at least {v} entries",
    }
    text = simple.get(err.validator, err.message)
    return f"{text} ({described})" if described else text


def describe_errors(config: Any, schema: dict[str, Any]) -> list[str]:
    """One line per problem: the key path, the value found, and what was expected."""
    lines = []
    for err in sorted(Validator(schema).iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        path = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = sorted(err.schema.get("properties", {}))
            for key in sorted(set(err.instance) - set(known)):
                lines.append(
                    f"{_path(path + [key])} = {json.dumps(err.instance[key])}: unknown key; "
                    f"expected one of {known}"
                )
        elif err.validator == "required":
            for key in err.validator_value:
                if key not in err.instance:
                    lines.append(f"{_path(path + [key])} is missing: a required key")
        elif "propertyNames" in err.schema_path:
            lines.append(
                f"{_path(path + [err.instance])}: the name {json.dumps(err.instance)} is not allowed; "
                f"expected a name matching {err.validator_value}"
            )
        elif err.validator == "oneOf" and err.context:
            best = min(err.context, key=lambda e: len(list(e.absolute_path)))
            lines.append(
                f"{_path(path)} = {json.dumps(err.instance)}: expected {err.schema.get('description', 'a valid value')}"
                f" ({best.message})"
            )
        else:
            lines.append(f"{_path(path)} = {json.dumps(err.instance)}: expected {_expected(err)}")
    return lines


def validate_config(config: dict[str, Any], schema_path: str | Path = SCHEMA_PATH, source: str = "the config") -> dict[str, Any]:
    """Return the config with defaults filled in, or raise :class:`ConfigError` naming every problem."""
    schema = load_schema(schema_path)
    filled = fill_defaults(config, schema)
    problems = describe_errors(filled, schema)
    if problems:
        raise ConfigError(
            f"config error: {len(problems)} problem{'s' * (len(problems) > 1)} in {source}:\n  - "
            + "\n  - ".join(problems)
            + f"\nEvery key, its type and its range are listed in {schema_path}."
        )
    return filled


def device_problem(device: str) -> str:
    """Why ``device`` cannot run on this machine, judged without importing torch (empty when it can or
    when that cannot be told): ``cuda``/``cuda:N`` without an NVIDIA driver, ``mps`` off macOS."""
    import os
    import shutil
    import sys

    if device.startswith("cuda"):
        if not (os.path.exists("/proc/driver/nvidia/version") or shutil.which("nvidia-smi")):
            return (
                f"device = {device!r}: this machine has no NVIDIA driver (no /proc/driver/nvidia/version, no nvidia-smi), "
                "and this run executes its jobs here; use device: cpu, or send the jobs to GPU nodes (--profile profiles/slurm)"
            )
    elif device == "mps" and sys.platform != "darwin":
        return f"device = 'mps': Apple's Metal backend exists only on macOS; use device: cpu (or cuda on an NVIDIA machine)"
    return ""

