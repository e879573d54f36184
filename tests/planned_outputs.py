"""The output files `snakemake -n` plans for the default, smoke and paper configs, and the rules it runs
where snakemake runs (``local: <rule>``), sorted: what a restructuring must leave unchanged (``tests/test_planned_outputs.py`` compares them with the lists kept in
``tests/data/planned_outputs/``).

    PYTHONPATH=workflow python tests/planned_outputs.py           # print the differences, exit 1 on any
    PYTHONPATH=workflow python tests/planned_outputs.py --write   # keep today's lists (after a deliberate change)
    ... --write --repo DIR    # keep the lists of another checkout (e.g. `git worktree add DIR <commit>`)

The paper configs name data under /data; each such path is replaced by an empty fixture (a folder, a
stand-in weights file, a header-only CSV) so that they plan on any machine.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KEPT = REPO / "tests" / "data" / "planned_outputs"
CONFIGS = {
    "default": "config.yaml",
    "smoke": "configs/smoke.yaml",
    **{f"paper_{s}": f"configs/paper/{s}.yaml" for s in ("ganrep", "gmaug", "lfkd", "xkd")},
}
# the rules the workflow runs where snakemake runs (localrules and `localrule: True`), one per line
LOCAL_RULES = """
import sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings, StorageSettings
snakefile, config, workdir = map(Path, sys.argv[1:])
with SnakemakeApi(OutputSettings(quiet=True)) as api:
    workflow = api.workflow(
        resource_settings=ResourceSettings(), config_settings=ConfigSettings(configfiles=[config]),
        storage_settings=StorageSettings(), snakefile=snakefile, workdir=workdir,
    )._workflow
    print("\\n".join(sorted(workflow._localrules)))
"""
DATA_PATH = re.compile(r"/data/[A-Za-z0-9_./-]+")


def fixture_config(text: str, root: Path) -> str:
    """``text`` with every /data path pointed at an empty fixture under ``root``."""
    for path in sorted(set(DATA_PATH.findall(text))):
        local = root / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".csv"):
            local.write_text("class,superclass\n")
        elif path.endswith((".pt", ".pth", ".bin", ".npz")):
            local.write_bytes(b"stand-in: the planner checks that the file exists")
        else:
            local.mkdir(exist_ok=True)
    return DATA_PATH.sub(lambda m: str(root / m.group(0).lstrip("/")), text)


def planned_outputs(config: str, repo: Path = REPO) -> list[str]:
    """Every output file of every job that ``snakemake -n`` plans for ``config`` (relative to the repo), in
    a fresh working directory, and ``local: <rule>`` for each planned rule that runs where snakemake runs
    (never in a cluster queue), sorted."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "config.yaml"
        path.write_text(fixture_config((repo / config).read_text(), root / "fixtures"))
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(root / "work"),
             "-n", "--configfile", str(path)],
            capture_output=True, text=True, timeout=600,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"snakemake -n --configfile {config} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
        files = set()
        for line in proc.stdout.splitlines():
            line = line.strip()
            if line.startswith("output:"):
                files.update(f.strip() for f in line[len("output:"):].split(",") if f.strip())
        local = subprocess.run(
            [sys.executable, "-c", LOCAL_RULES, str(repo / "Snakefile"), str(path), str(root / "work")],
            capture_output=True, text=True, timeout=600,
        )
        if local.returncode != 0:
            raise RuntimeError(f"listing the local rules of {config} failed:\n{local.stderr[-3000:]}")
        files.update(f"local: {name}" for name in local.stdout.split())
        return sorted(f.replace(str(root), "<tmp>") for f in files)


def main(argv: list[str]) -> int:
    write = "--write" in argv
    repo = Path(argv[argv.index("--repo") + 1]).resolve() if "--repo" in argv else REPO  # e.g. a worktree of an earlier commit
    differ = 0
    for name, config in CONFIGS.items():
        now = planned_outputs(config, repo)
        kept = KEPT / f"{name}.txt"
        if write:
            KEPT.mkdir(parents=True, exist_ok=True)
            kept.write_text("\n".join(now) + "\n")
            print(f"{name}: {len(now)} files -> {kept.relative_to(REPO)}")
            continue
        before = kept.read_text().splitlines()
        gone, new = sorted(set(before) - set(now)), sorted(set(now) - set(before))
        differ += bool(gone or new)
        print(f"{name}: {len(now)} files, {len(gone)} gone, {len(new)} new")
        for f in gone[:20]:
            print(f"  - {f}")
        for f in new[:20]:
            print(f"  + {f}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
