"""The config reference, docs/config.md, rendered from the JSON schema (workflow/schemas/config.schema.yaml).

One section per top-level key, each with a table of every key path below it (``ganrep.sizes``,
``classifiers[].arch``, ``datasets.<name>.options.classes``): its type, default, allowed values or range,
and description. Keys that exist only under a condition of the schema (the options of one dataset source,
the settings of one generator family) say so. Torch-free and deterministic: the same schema gives the same
bytes.

    PYTHONPATH=workflow python -m kdgen.config_reference           # writes docs/config.md
    PYTHONPATH=workflow python -m kdgen.config_reference --check   # exit 1 when docs/config.md is stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kdgen.config import SCHEMA_PATH, load_schema, resolve_ref

REPO = Path(__file__).resolve().parents[2]
DOCS_PATH = REPO / "docs" / "config.md"
COMMAND = "PYTHONPATH=workflow python -m kdgen.config_reference"

#: placeholder of a key the user names (a dataset, a generator, a model)
NAME = "<name>"


@dataclass
class Row:
    path: str
    type: str
    default: str
    allowed: str
    description: str
    conditions: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    """A value as written in a config (YAML flow style, JSON-compatible)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _code(value: Any) -> str:
    return f"`{_text(value)}`"


def _cell(text: str) -> str:
    """Plain text safe inside a Markdown table cell."""
    text = " ".join(str(text).split()).replace("|", "\\|")
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)  # <dataset> is text, not an HTML tag


def _code_cell(text: str) -> str:
    """Backticked text safe inside a table cell (only the pipe needs escaping there)."""
    return text.replace("|", "\\|")


def _types(node: dict[str, Any], root: dict[str, Any]) -> str:
    if "oneOf" in node or "anyOf" in node:
        alternatives = [resolve_ref(n, root) for n in node.get("oneOf", node.get("anyOf"))]
        return " or ".join(dict.fromkeys(_types(n, root) for n in alternatives))
    if "const" in node:
        return type(node["const"]).__name__.replace("str", "string")
    kinds = node.get("type")
    if kinds is None:
        kinds = ["object"] if "properties" in node or "additionalProperties" in node else []
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    names = []
    for kind in kinds:
        if kind == "array" and isinstance(node.get("items"), dict):
            item_type = _types(resolve_ref(node["items"], root), root)
            names.append(f"array of {item_type}" if item_type else "array")
        elif kind == "object" and isinstance(node.get("additionalProperties"), dict) and not node.get("properties"):
            value = resolve_ref(node["additionalProperties"], root)
            names.append(f"map of names to {_types(value, root) or 'any'}")
        else:
            names.append(kind)
    return " or ".join(names)


def _bounds(node: dict[str, Any]) -> list[str]:
    if "minimum" in node and "maximum" in node:
        return [f"{_text(node['minimum'])} to {_text(node['maximum'])}"]
    parts = []
    for key, sign in (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<")):
        if key in node:
            parts.append(f"{sign} {_text(node[key])}")
    return parts


def _allowed(node: dict[str, Any], root: dict[str, Any]) -> str:
    """Allowed values or range, as code spans and short words (Markdown, already cell-safe)."""
    if "oneOf" in node or "anyOf" in node:
        alternatives = [resolve_ref(n, root) for n in node.get("oneOf", node.get("anyOf"))]
        texts = [_allowed(n, root) or _cell(_types(n, root)) for n in alternatives]
        return "; or ".join(dict.fromkeys(texts))
    parts: list[str] = []
    if "const" in node:
        parts.append(f"exactly {_code(node['const'])}")
    if "enum" in node:
        parts.append("one of " + ", ".join(_code(v) for v in node["enum"]))
    if "pattern" in node:
        parts.append(f"matches {_code_cell(_code(node['pattern']))}")
    parts += _bounds(node)
    if "minItems" in node and node.get("maxItems") == node["minItems"]:
        parts.append(f"exactly {node['minItems']} items")
    else:
        if "minItems" in node:
            parts.append(f"at least {node['minItems']} item{'s' * (node['minItems'] != 1)}")
        if "maxItems" in node:
            parts.append(f"at most {node['maxItems']} items")
    if node.get("uniqueItems"):
        parts.append("no repeats")
    if "minProperties" in node:
        parts.append(f"at least {node['minProperties']} entr{'y' if node['minProperties'] == 1 else 'ies'}")
    names = node.get("propertyNames")
    if isinstance(names, dict):
        if "enum" in names:
            parts.append("names: " + ", ".join(_code(v) for v in names["enum"]))
        if "pattern" in names:
            parts.append(f"names match {_code_cell(_code(names['pattern']))}")
    if node.get("required") and node.get("properties"):
        parts.append("requires " + ", ".join(_code(k) for k in node["required"]))
    items = node.get("items")
    if isinstance(items, dict):
        inner = _allowed(resolve_ref(items, root), root)
        if inner:
            parts.append(f"each item: {inner}")
    return "; ".join(parts)


def _default(node: dict[str, Any], required: bool) -> str:
    if "default" in node:
        return _code_cell(_code(node["default"]))
    return "required" if required else ""


def _condition(block_if: dict[str, Any]) -> str:
    """``{properties: {source: {const: synthetic}}}`` -> ``source: synthetic``."""
    parts = []
    for key, test in sorted(block_if.get("properties", {}).items()):
        if "const" in test:
            parts.append(f"{key}: {_text(test['const'])}")
        elif "enum" in test:
            parts.append(f"{key}: {', '.join(_text(v) for v in test['enum'])}")
    return "; ".join(parts)


def _walk(
    node: Any,
    path: str,
    root: dict[str, Any],
    rows: list[Row],
    conditions: tuple[str, ...] = (),
    required: bool = False,
    emit: bool = True,
) -> None:
    node = resolve_ref(node, root)
    if not isinstance(node, dict):
        return
    if emit:
        rows.append(
            Row(
                path=path,
                type=_types(node, root),
                default=_default(node, required),
                allowed=_allowed(node, root),
                description=_cell(node.get("description", "")),
                conditions=list(conditions),
            )
        )
    props = node.get("properties", {})
    needed = set(node.get("required", []))
    for key, sub in props.items():
        _walk(sub, f"{path}.{key}" if path else key, root, rows, conditions, key in needed)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        _walk(extra, f"{path}.{NAME}", root, rows, conditions)
    items = node.get("items")
    if isinstance(items, dict):
        items = resolve_ref(items, root)
        if isinstance(items, dict) and (items.get("properties") or items.get("allOf")):
            _walk(items, f"{path}[]", root, rows, conditions, emit=False)
    for block in node.get("allOf", []):
        if "if" not in block or "then" not in block:
            continue
        _walk_conditional(block["then"], path, root, rows, (*conditions, _condition(block["if"])), props)


def _walk_conditional(
    node: Any, path: str, root: dict[str, Any], rows: list[Row], conditions: tuple[str, ...], known: dict[str, Any]
) -> None:
    """The keys a then-block adds at ``path``; keys the unconditional schema already lists are not repeated,
    but what lies below them is walked (a dataset's ``options`` per source)."""
    node = resolve_ref(node, root)
    needed = set(node.get("required", []))
    for key, sub in node.get("properties", {}).items():
        child = f"{path}.{key}"
        if key in known:
            sub = resolve_ref(sub, root)
            below = resolve_ref(known[key], root)
            nested = below.get("properties", {}) if isinstance(below, dict) else {}
            _walk_conditional(sub, child, root, rows, conditions, nested)
            extra = sub.get("additionalProperties")
            if isinstance(extra, dict):
                _walk(extra, f"{child}.{NAME}", root, rows, conditions)
        else:
            _walk(sub, child, root, rows, conditions, key in needed)


def _merge(rows: list[Row]) -> list[Row]:
    """Rows that differ only in their condition become one row naming every condition."""
    merged: dict[tuple[str, ...], Row] = {}
    for row in rows:
        key = (row.path, row.type, row.default, row.allowed, row.description)
        if key in merged:
            merged[key].conditions = _union(merged[key].conditions, row.conditions)
        else:
            merged[key] = Row(**{**row.__dict__, "conditions": list(row.conditions)})
    return list(merged.values())


def _union(a: list[str], b: list[str]) -> list[str]:
    """Join conditions on one key: ``source: cifar10, cifar100`` and ``source: lsun`` -> one list of values."""
    if not a or not b:
        return []
    if len(a) == len(b) == 1 and a[0].split(":")[0] == b[0].split(":")[0]:
        key = a[0].split(":")[0]
        values = [v.strip() for c in (a[0], b[0]) for v in c.split(":", 1)[1].split(",")]
        return [f"{key}: {', '.join(dict.fromkeys(values))}"]
    return a + [c for c in b if c not in a]


def key_rows(schema: dict[str, Any]) -> dict[str, list[Row]]:
    """{top-level key: its rows, the key itself first}, in the schema's order."""
    sections: dict[str, list[Row]] = {}
    needed = set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        rows: list[Row] = []
        _walk(sub, key, schema, rows, required=key in needed)
        sections[key] = _merge(rows)
    return sections


def _anchor(key: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "", key.lower())


def _key_cell(row: Row) -> str:
    cell = f"`{row.path}`"
    if row.conditions:
        cell += "<br>when " + "; ".join(f"`{c}`" for c in row.conditions)
    return cell


def config_reference(schema: dict[str, Any]) -> str:
    """docs/config.md as text: every key path of ``schema`` with its type, default, range and description."""
    sections = key_rows(schema)
    lines = [
        f"<!-- Generated from workflow/schemas/config.schema.yaml by `{COMMAND}`; do not edit by hand. -->",
        "",
        "# Config reference",
        "",
        f"Every key of the workflow's config, generated from [the schema](../workflow/schemas/config.schema.yaml) "
        f"({_cell(schema.get('title', 'the config schema'))}). " + _cell(schema.get("description", "")),
        "",
        "A path names a key inside its block: `ganrep.sizes` is `sizes:` under `ganrep:`; `[]` is any item of a "
        f"list (`classifiers[].arch`); `{NAME}` is a name you choose (a dataset, a generator). "
        "*when* marks keys that exist only for one kind of entry (the options of one dataset source, the "
        "settings of one generator family). An empty default means the key has none: it is optional, or "
        "the text says what its absence means.",
        "",
        f"Regenerate after editing the schema: `{COMMAND}` (from the repository root; `--check` only " "compares).",
        "",
        "Top-level keys: " + ", ".join(f"[`{key}`](#{_anchor(key)})" for key in sections) + ".",
        "",
    ]
    for key, rows in sections.items():
        lines += [f"## {key}", ""]
        if len(rows) > 1 and rows[0].description:  # a block: its description heads the section
            lines += [rows[0].description, ""]
            rows = [Row(**{**rows[0].__dict__, "description": ""}), *rows[1:]]
        lines += ["| key | type | default | allowed | description |", "|---|---|---|---|---|"]
        for row in rows:
            lines.append(
                f"| {_key_cell(row)} | {_cell(row.type)} | {row.default} | {row.allowed} | {row.description} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kdgen.config_reference", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only: exit 1 when the file is stale")
    parser.add_argument("--schema", type=Path, default=SCHEMA_PATH, help="the config schema (YAML)")
    parser.add_argument("--output", type=Path, default=DOCS_PATH, help="the Markdown file to write or check")
    args = parser.parse_args(argv)
    text = config_reference(load_schema(args.schema))
    shown = _shown(args.output)
    if args.check:
        current = args.output.read_text() if args.output.is_file() else None
        if current != text:
            state = "is missing" if current is None else "is stale"
            print(f"{shown} {state}: regenerate it with `{COMMAND}` from the repository root", file=sys.stderr)
            return 1
        print(f"{shown} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {shown}")
    return 0


def _shown(path: Path) -> str:
    """The path relative to the working directory where it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
