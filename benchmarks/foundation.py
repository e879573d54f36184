"""Foundation budgets: DAG planning, no-op re-run, and the synthetic generator's throughput.

    python benchmarks/foundation.py

Prints each number beside its budget and the ratio (budget / measured for times, measured / budget
for throughput; >= 1 meets the budget). Runs the default config in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from kdgen.data import synthetic
from kdgen.runtime import cpu_model

REPO = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], cwd: Path, repeat: int = 3, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def generator_rate(factors: list[str], per_class: int = 1000, classes: int = 8) -> float:
    names = list(synthetic.SHAPES)[:classes]
    fields = synthetic.canonical_fields(names, ["all"] * classes, 0.0)
    labels = synthetic.balanced_labels(classes, per_class)
    synthetic.render(labels[:512], fields, factors, 32, seed=0)  # warm-up
    rates = []
    for seed in range(3):
        start = time.perf_counter()
        synthetic.render(labels, fields, factors, 32, seed=seed)
        rates.append(len(labels) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    rows = []
    base = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--configfile", str(REPO / "config.yaml")]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # The SLURM executor plugin runs `scontrol show config` when it is imported; where SLURM's
        # client tools exist but no controller answers, that costs ~10 s on every start. A stub
        # scontrol that fails at once removes the probe's wait; the budget applies to that time.
        stub = work / "no-slurm-probe"
        stub.mkdir()
        (stub / "scontrol").write_text("#!/bin/sh\nexit 1\n")
        (stub / "scontrol").chmod(0o755)
        without = {**os.environ, "PATH": f"{stub}{os.pathsep}{os.environ['PATH']}"}
        plan = timed(base + ["--directory", tmp, "-n"], work, env=without)
        rows.append(("snakemake -n, default config, no SLURM probe (s)", plan, 3.0, 3.0 / plan))
        probe = shutil.which("scontrol")
        plan_here = timed(base + ["--directory", tmp, "-n"], work)
        label = "with this machine's SLURM probe" if probe else "as here (no scontrol: no probe)"
        rows.append((f"snakemake -n, default config, {label} (s)", plan_here, None, None))
        start = time.perf_counter()
        subprocess.run(base + ["--directory", tmp, "--cores", "2"], cwd=work, check=True, capture_output=True)
        full = time.perf_counter() - start
        rows.append(("full default build, --cores 2 (s)", full, None, None))
        noop = timed(base + ["--directory", tmp, "--cores", "2"], work)
        rows.append(("no-op re-run, --cores 2 (s)", noop, 3.0, 3.0 / noop))
    for label, factors in (("all factors", list(synthetic.FACTORS)), ("no factors", [])):
        rate = generator_rate(factors)
        rows.append((f"synthetic generator, 32 px, {label} (img/s)", rate, 5000.0, rate / 5000.0))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  {'budget':>8}  {'ratio':>6}")
    for label, value, budget, ratio in rows:
        b = f"{budget:8.0f}" if budget else f"{'-':>8}"
        r = f"{ratio:6.2f}" if ratio else f"{'-':>6}"
        print(f"{label:<{width}}  {value:10.2f}  {b}  {r}")
    print(f"cpu: {cpu_model()}, cores: {os.cpu_count()}, numpy {np.__version__}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
