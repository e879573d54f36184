"""A hostile but fair user: at least 100 bad configs and 15 damaged files, each run the way a user would,
and each outcome sorted into: a clear line (at planning, or from the job), a traceback, or a silent pass.

    python benchmarks/hostile_inputs.py [--configs 120] [--seed 0] [--keep DIR] [--files-only]

Bad configs are drawn (seeded) from the schema: for a leaf of the resolved smoke config, a change the
schema or the planning checks must refuse: a number of the wrong type (a string, a float for an integer),
a value below its minimum or above its maximum, a string outside its enum or pattern, an unknown key
beside it, an empty list where items are required; plus the hand-made cases of issue 25 (duplicate keys,
YAML syntax errors, an empty file, a missing file, an empty validation split, a balanced gmaug subset, a
missing weights file, WordNet names). Each is planned with ``bash run.sh snakemake -n`` (the README's
way). Damaged files: a small smoke build (two datasets' splits and subsets, one classifier), then each
file damaged in turn (truncated, emptied, overwritten) and the target that reads it rebuilt.

A run is **clear** when it fails with a line starting ``config error`` or ``error:`` and no traceback,
**traceback** when Python's traceback reaches the user, **silent** when a bad input planned or built
without complaint. The README's Reliability section states the counts.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from kdgen.config import fill_defaults, load_schema, resolve_ref  # noqa: E402
from kdgen.runtime import cpu_model  # noqa: E402


def leaves(value, schema, root, path=()):
    """(path, value, schema) of every scalar or list leaf of ``value`` that its schema describes."""
    schema = resolve_ref(schema, root) if isinstance(schema, dict) else {}
    if isinstance(value, dict):
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties") if isinstance(schema.get("additionalProperties"), dict) else {}
        for k, v in value.items():
            yield from leaves(v, props.get(k, extra), root, (*path, k))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            yield from leaves(v, schema.get("items", {}), root, (*path, i))
    else:
        yield path, value, schema


def mutations(path, value, schema):
    """Changes the schema must refuse, with a name."""
    t = schema.get("type")
    types = t if isinstance(t, list) else [t]
    out = []
    if "integer" in types:
        out += [("float-for-integer", float(value) + 0.0 if isinstance(value, int) else 2.0), ("string-for-integer", "ten")]
    elif "number" in types:
        out.append(("string-for-number", "a lot"))
    if "minimum" in schema:
        out.append(("below-minimum", schema["minimum"] - 1))
    if "exclusiveMinimum" in schema:
        out.append(("at-exclusive-minimum", schema["exclusiveMinimum"]))
    if "maximum" in schema:
        out.append(("above-maximum", schema["maximum"] + 1))
    if "enum" in schema:
        out.append(("outside-enum", "no-such-option"))
    if "pattern" in schema and "string" in types:
        out.append(("outside-pattern", "!!bad name!!"))
    if "boolean" in types:
        out.append(("string-for-boolean", "yes please"))
    if "array" in types and schema.get("minItems"):
        out.append(("empty-list", []))
    return out


def set_path(config, path, value):
    node = config
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def classify(proc: subprocess.CompletedProcess) -> str:
    text = proc.stdout + proc.stderr
    if "Traceback (most recent call last)" in text:
        return "traceback"
    if proc.returncode != 0 and any(l.startswith(("config error", "error:")) for l in text.splitlines()):
        return "clear"
    if proc.returncode != 0:
        return "unclear"
    return "silent"


def plan(config_path: Path, workdir: Path, extra=()) -> subprocess.CompletedProcess:
    cmd = ["bash", str(REPO / "run.sh"), "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(workdir), "-n", "--configfile", str(config_path), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def config_cases(n: int, seed: int) -> list[tuple[str, object]]:
    """(name, config or raw text) of the bad configs: schema-drawn mutations, then issue 25's own cases."""
    schema = load_schema()
    smoke = yaml.safe_load((REPO / "configs/smoke.yaml").read_text())
    resolved = fill_defaults(copy.deepcopy(smoke), schema)
    pool = [(p, kind, bad) for p, v, s in leaves(resolved, schema, schema) if p for kind, bad in mutations(p, v, s)]
    rng = random.Random(seed)
    rng.shuffle(pool)
    cases = []
    for p, kind, bad in pool[: max(0, n - 20)]:
        cfg = copy.deepcopy(resolved)
        set_path(cfg, p, bad)
        cases.append((f"{'.'.join(map(str, p))}: {kind}", cfg))
    for p, _, _ in pool[:6]:  # an unknown key beside a known one
        cfg = copy.deepcopy(resolved)
        node = cfg
        for q in p[:-1]:
            node = node[q]
        if isinstance(node, dict):
            node[f"{p[-1]}_typo"] = 1
            cases.append((f"{'.'.join(map(str, p))}_typo: unknown key", cfg))
    text = (REPO / "configs/smoke.yaml").read_text()
    by_hand = {
        "duplicate top-level key": text + "seed: 3\n",
        "duplicate dataset": text.replace("datasets:\n", "datasets:\n  digits: {source: digits}\n", 1),
        "YAML syntax error": text + "lfkd: {datasets: [digits\n",
        "tab indentation": text.replace("seed: 0\n", "seed: 0\n\tdevice: cpu\n", 1),
        "empty file": "",
        "a list, not a mapping": "- seed\n- device\n",
    }
    cases += list(by_hand.items())
    for key, value in [
        ("datasets.digits.val_fraction", 0), ("datasets.shapes.image_size", 16.0), ("training.epochs", 2.0),
        ("gmaug.datasets.sib_lo.subset", "full"), ("xkd.students", ["mix150"]), ("datasets.digits.ladder", [50, 5000]),
        ("models.weights", {"resnet18": "/nowhere/r18.pth"}), ("classifiers.0.seeds", [0.0]),
    ]:  # fmt: skip
        cfg = copy.deepcopy(smoke)
        node = cfg
        parts = key.split(".")
        for q in parts[:-1]:
            node = node[int(q)] if isinstance(node, list) else node.setdefault(q, {})
        node[parts[-1]] = value
        cases.append((f"{key} = {value!r}", cfg))
    return cases


def damage_cases(work: Path) -> list[tuple[str, str, callable, str]]:
    """(name, file, damage, target that reads it) over a small smoke build in ``work``."""

    def truncate(p: Path) -> None:
        data = p.read_bytes()
        p.write_bytes(data[: len(data) // 2])

    def empty(p: Path) -> None:
        p.write_bytes(b"")

    def garbage(p: Path) -> None:
        p.write_text("{not what it was")

    data, run = "results/data/digits", "results/train/digits/full/tiny/weak/seed-0"
    card = "results/data/digits/card/samples.png"
    student = "results/distill/digits/size-50/tiny/weak/kd/T1w_T2s_Sw/seed-0/metrics.csv"  # its teacher T1 is `run`
    return [
        ("images.npz truncated", f"{data}/images.npz", truncate, card),
        ("images.npz emptied", f"{data}/images.npz", empty, card),
        ("images.npz overwritten", f"{data}/images.npz", garbage, card),
        ("manifest.json garbage", f"{data}/manifest.json", garbage, card),
        ("manifest.json {}", f"{data}/manifest.json", lambda p: p.write_text("{}"), card),
        ("manifest.json a list", f"{data}/manifest.json", lambda p: p.write_text("[1, 2]"), card),
        ("splits.npz truncated", f"{data}/splits.npz", truncate, card),
        ("splits.npz emptied", f"{data}/splits.npz", empty, card),
        ("subset .npy truncated", f"{data}/subsets/size-50.npy", truncate, student),
        ("best.pt truncated", f"{run}/best.pt", truncate, student),
        ("best.pt overwritten", f"{run}/best.pt", garbage, student),
        ("metrics.csv truncated", f"{run}/metrics.csv", truncate, f"{run}/learning_curve.png"),
        ("metrics.csv emptied", f"{run}/metrics.csv", empty, f"{run}/learning_curve.png"),
        ("eval-test.json garbage", f"{run}/eval-test.json", garbage, "results/train/tables/classifiers.csv"),
        ("eval-test.json emptied", f"{run}/eval-test.json", empty, "results/train/tables/classifiers.csv"),
        ("splits.npz overwritten", f"{data}/splits.npz", garbage, card),
        ("eval-val.json cut short", f"{run}/eval-val.json", lambda p: p.write_bytes(p.read_bytes()[:-3]), "results/train/tables/classifiers.csv"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", type=int, default=120)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--files-only", action="store_true", help="skip the configs (the damaged files alone)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="kdgen-hostile-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    results = []
    for name, cfg in [] if args.files_only else config_cases(args.configs, args.seed):
        path = work / "bad.yaml"
        path.write_text(cfg if isinstance(cfg, str) else yaml.safe_dump(cfg, sort_keys=False))
        proc = plan(path, work / "plan")
        results.append(("config", name, classify(proc), (proc.stdout + proc.stderr).strip().splitlines()[-1:]))
    if not args.files_only:
        results.append(("config", "missing --configfile", classify(plan(work / "missing.yaml", work / "plan")), []))
    build = work / "build"
    base = ["bash", str(REPO / "run.sh"), "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(build), "--cores", "2"]
    smoke = ["--configfile", str(REPO / "configs/smoke.yaml")]
    first = [c[3] for c in damage_cases(build)]
    subprocess.run(base + sorted(set(first)) + smoke, capture_output=True, text=True, timeout=1200, check=True)
    for name, file, damage, target in damage_cases(build):
        path = build / file
        backup = path.read_bytes()
        damage(path)
        (build / target).unlink(missing_ok=True)
        proc = subprocess.run(base + [target, "--rerun-triggers", "mtime"] + smoke, capture_output=True, text=True, timeout=600)
        results.append(("file", name, classify(proc), [l for l in (proc.stdout + proc.stderr).splitlines() if l.startswith(("error:", "config error"))][:1]))
        path.write_bytes(backup)
        subprocess.run(base + [target, "--rerun-triggers", "mtime"] + smoke, capture_output=True, text=True, timeout=600)
        subprocess.run(base + ["--unlock"] + smoke, capture_output=True, text=True, timeout=120)
    counts: dict[tuple[str, str], int] = {}
    for kind, name, outcome, line in results:
        counts[(kind, outcome)] = counts.get((kind, outcome), 0) + 1
        print(f"{kind:6} {outcome:9} {name}" + (f"\n         {line[0][:220]}" if line else ""))
    print()
    for kind in ("config", "file"):
        total = sum(v for (k, _), v in counts.items() if k == kind)
        parts = ", ".join(f"{v} {o}" for (k, o), v in sorted(counts.items()) if k == kind)
        print(f"{kind}s: {total} cases: {parts}")
    print(f"{time.perf_counter() - start:.0f} s; cpu: {cpu_model()}")
    (work / "hostile.json").write_text(json.dumps(results, indent=1))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
