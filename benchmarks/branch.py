"""Wall time of one study's branch of the DAG for the embedded default and the smoke config; the
per-study scripts (ganrep_branch.py, lfkd_branch.py) call :func:`main` with their study.

    python benchmarks/<study>_branch.py [--cores 2] [--config default smoke] [--keep DIR]

Each config runs in a fresh working directory (``--keep DIR``: in DIR/<config>, kept, e.g. to read the
tables of the timed run; it must not hold an earlier run): first the foundation it stands on (``snakemake data``:
WordNet and the datasets, which have their own budget in benchmarks/foundation.py; not timed), then,
timed, ``snakemake --cores N <study>``: every job of the branch (for ganrep the FID classifiers, the GANs
and their samples, replication, ID, FID, the published re-fit, tables and figures; for lfkd the teacher
pools, the students, the measures, tables and figures; for xkd the compact CLIP's pretraining, the
embeddings, the vocabulary, every T_x, the students and no-KD students, measures, tables and figures, but
not the image teachers T_m it shares with lfkd, which are built first, untimed; for gmaug SSIM-supSubCls, the
original classifiers, both generators and their candidates, the re-balanced classifiers, the published re-fit,
tables and figures). Prints the wall time against the budget (8 min for the default, 10 min for gmaug's, 1 min
for the smoke config, on the 2-core machine) and the job time of the branch's
rules that keep a ``benchmark:`` file.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from kdgen.runtime import cpu_model

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"default": (ROOT / "config.yaml", 8 * 60), "smoke": (ROOT / "configs" / "smoke.yaml", 60)}
# the benchmark folders (under results/benchmarks/) of each study's jobs
BENCHMARK_DIRS = {"ganrep": ["ganrep"], "lfkd": ["train", "distill", "lfkd"], "xkd": ["train", "distill", "xkd"], "gmaug": ["train", "gmaug"]}
# budgets that differ from CONFIGS' (seconds): gmaug's default trains two generators on each of four datasets
BUDGETS = {"gmaug": {"default": 10 * 60}}
# what a branch stands on and is not timed: the datasets, and for xkd the image teachers it shares with lfkd
UNTIMED = {"ganrep": ["data"], "lfkd": ["data"], "xkd": ["data", "xkd_image_teachers"], "gmaug": ["data"]}


def run_branch(study: str, config: Path, cores: int, keep: Path | None = None) -> tuple[float, pd.DataFrame]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kdgen-bench-") if keep is None else contextlib.nullcontext(str(keep)) as work:
        def snakemake(target: str) -> float:
            cmd = [
                sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", work,
                "--cores", str(cores), target, "--quiet", "all", "--configfile", str(config),
            ]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, cwd=work)
            return time.perf_counter() - start

        for target in UNTIMED[study]:
            snakemake(target)
        wall = snakemake(study)
        rows = []
        for folder in BENCHMARK_DIRS[study]:
            for tsv in Path(work, "results", "benchmarks", folder).rglob("*.tsv"):
                rows.append({"rule": f"{folder}/{tsv.stem}", "s": float(pd.read_csv(tsv, sep="\t")["s"].iloc[0])})
        per_rule = pd.DataFrame(rows, columns=["rule", "s"]).groupby("rule")["s"].agg(["count", "sum", "max"])
        return wall, per_rule


def main(study: str) -> None:
    parser = argparse.ArgumentParser(description=__doc__.replace("<study>", study), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--config", nargs="+", choices=sorted(CONFIGS), default=["smoke", "default"])
    parser.add_argument("--keep", type=Path, help="run in this folder (<keep>/<config>) and keep its results, instead of a temporary one")
    args = parser.parse_args()
    for name in args.config:
        path, budget = CONFIGS[name]
        budget = BUDGETS.get(study, {}).get(name, budget)
        wall, per_rule = run_branch(study, path, args.cores, args.keep / name if args.keep else None)
        print(f"{name}: {study} branch {wall:.0f} s on {args.cores} cores ({cpu_model()}); budget {budget} s; ratio {wall / budget:.2f}")
        if len(per_rule):
            print(per_rule.round(1).to_string())
