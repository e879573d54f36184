"""Foundation budgets: DAG planning, no-op re-run, and the synthetic generator's throughput.

    python benchmarks/foundation.py

Prints each number beside its budget and the ratio (budget / measured for times, measured / budget
for throughput; >= 1 meets the budget). Runs the default config in a temporary folder.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from kdgen.data import synthetic

REPO = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], cwd: Path, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
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
        plan = timed(base + ["--directory", tmp, "-n"], work)
        rows.append(("snakemake -n, default config (s)", plan, 3.0, 3.0 / plan))
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
    print(f"cores: {os.cpu_count()}, numpy {np.__version__}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
