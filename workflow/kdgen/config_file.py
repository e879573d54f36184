"""Reading a config file strictly, before Snakemake does: a missing file, a YAML syntax error (with its
line and column), an empty file, a top level that is not a mapping, and a key given twice in one mapping
(YAML would keep the last one silently) are each one line naming the file and the fix.

The workflow reads ``config.yaml`` through :func:`load_config_file` before its ``configfile:`` directive,
and re-reads every ``--configfile`` for duplicate keys; Snakemake parses a ``--configfile`` itself before
the workflow starts, so ``run.sh`` checks those first (``python -m kdgen.config_file FILE ...``).
Torch-free.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from kdgen.config import ConfigError


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    # Only the keys written in this mapping: a merge (<<: *anchor) supplies defaults they may override.
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(
                f"config error: {key_node.start_mark.name}:{line}: the key {key!r} is given twice in one mapping "
                f"(first at line {seen[key]}); YAML would keep only the last one: remove or merge one of them"
            )
        seen[key] = line
    loader.flatten_mapping(node)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The mapping in ``path``, or :class:`ConfigError` with one line saying what is wrong and where."""
    path = Path(path)
    if not path.is_file():
        where = "is a folder" if path.is_dir() else "does not exist"
        raise ConfigError(f"config error: the config file {path} {where}; give a YAML file (e.g. config.yaml or configs/smoke.yaml)")
    try:
        with path.open() as fh:
            data = yaml.load(fh, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = " ".join(x for x in (err.context, err.problem) if x)
        raise ConfigError(f"config error: {where}: not valid YAML ({what}); fix the file at that line and column") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config error: {path}: not valid YAML ({err})") from None
    if data is None:
        raise ConfigError(f"config error: {path} is empty; a config is a YAML mapping of keys (see config.yaml)")
    if not isinstance(data, dict):
        raise ConfigError(f"config error: {path}: the top level is a {type(data).__name__}; a config is a YAML mapping of keys (see config.yaml)")
    return data


def main(argv: list[str]) -> int:
    """Check each config file; print one line per problem and return 1 when any."""
    status = 0
    for name in argv:
        try:
            load_config_file(name)
        except ConfigError as err:
            print(err, file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
