"""The output files `snakemake -n` plans for the default, smoke and paper configs, sorted: what a
restructuring must leave unchanged (``tests/test_planned_outputs.py`` compares them with the lists kept in
``tests/data/planned_outputs/``).

    PYTHONPATH=workflow python tests/planned_outputs.py           # print the differences, exit 1 on any
    PYTHONPATH=workflow python tests/planned_outputs.py --write   # keep today's lists (after a deliberate change)

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
    a fresh working directory, sorted."""
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
        return sorted(f.replace(str(root), "<tmp>") for f in files)


def main(argv: list[str]) -> int:
    write = "--write" in argv
    differ = 0
    for name, config in CONFIGS.items():
        now = planned_outputs(config)
        kept = KEPT / f"{name}.txt"
        if write:
            KEPT.mkdir(parents=True, exist_ok=True)
            kept.write_text("\n".join(now) + "\n")
            print(f"{name}: {len(now)} files -> {kept.relative_to(REPO)}")
            continue
        before = kept.read_text().split()
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
