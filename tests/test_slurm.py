"""The SLURM profile against a real single-node SLURM (munge, slurmdbd + MariaDB, slurmctld, slurmd).

The module brings the cluster up with cluster/slurm_up.sh (installing Debian's packages if needed) and
stops what it started with cluster/slurm_down.sh. Every snakemake run is wrapped in a timeout that
sends SIGINT (snakemake ignores SIGTERM while jobs run). Skipped where the machine is not Debian or
we are not root.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml

pytestmark = [pytest.mark.slurm, pytest.mark.xdist_group("slurm")]  # one worker starts and stops the cluster

TARGETS = ["results/data/shapes/card/samples.png", "results/train/digits/full/tiny/weak/seed-0/best.pt"]
RUN = "results/train/digits/full/tiny/weak/seed-0"


def _why_not() -> str | None:
    if not Path("/etc/debian_version").is_file():
        return "the SLURM tests need Debian (apt packages munge, slurmctld, slurmd, slurmdbd, mariadb-server)"
    if os.geteuid() != 0:
        return "the SLURM tests need root (they install packages and start system daemons)"
    return None


@pytest.fixture(scope="module")
def slurm(repo, no_slurm_probe):
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    path = os.environ["PATH"]
    if no_slurm_probe is not None:  # the real scontrol for these tests (conftest.py)
        os.environ["PATH"] = os.pathsep.join(p for p in path.split(os.pathsep) if p != str(no_slurm_probe))
    pids = Path(os.environ.get("KDGEN_SLURM_DIR", "/var/tmp/kdgen-slurm")) / "pids"
    already = {p.name for p in pids.glob("*.pid")} if pids.is_dir() else set()
    proc = subprocess.run(["bash", str(repo / "cluster/slurm_up.sh")], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"slurm_up.sh failed:\n{proc.stdout}\n{proc.stderr}"
    yield
    if not already:
        subprocess.run(["bash", str(repo / "cluster/slurm_down.sh")], capture_output=True, timeout=120)
    os.environ["PATH"] = path


def snakemake(repo: Path, workdir: Path, args: list[str], config: Path, limit: int = 600) -> subprocess.CompletedProcess:
    cmd = [
        "timeout", "-s", "INT", "-k", "30", str(limit),
        sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory", str(workdir),
        *args, "--configfile", str(config),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=limit + 60)


def slurm_args(repo: Path) -> list[str]:
    # a short first status check: the test cluster answers at once (the profile keeps the plugin's default)
    return ["--profile", str(repo / "profiles/slurm"), "--slurm-init-seconds-before-status-checks", "3"]


def sacct(run_id: str) -> list[dict[str, str]]:
    fields = ["Comment", "ReqMem", "Timelimit", "State", "ReqTRES"]
    out = subprocess.run(
        ["sacct", "-X", "-n", "-P", "--name", run_id, "-S", "now-1days", "-o", ",".join(fields)],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    return [dict(zip(fields, line.split("|"))) for line in out.splitlines() if line]


def run_id(output: str) -> str:
    match = re.search(r"SLURM run ID: (\S+)", output)
    assert match, output[-2000:]
    return match.group(1)


def test_slurm_build_equals_a_local_build(repo, slurm, tmp_path):
    config = repo / "configs/smoke.yaml"
    on_slurm = snakemake(repo, tmp_path / "slurm", TARGETS + slurm_args(repo), config)
    log = on_slurm.stdout + on_slurm.stderr
    assert on_slurm.returncode == 0, log[-4000:]
    # the profile's threads: torch's CPU kernels split reductions by thread, so trained weights are
    # bit-identical for the same number of threads only
    local = snakemake(repo, tmp_path / "local", TARGETS + ["--cores", "2", "--set-threads", "train_classifier=2"], config)
    assert local.returncode == 0, (local.stdout + local.stderr)[-4000:]

    a, b = tmp_path / "slurm", tmp_path / "local"
    for path in ("results/data/shapes/images.npz", "results/data/digits/images.npz", "results/data/shapes/card/samples.png"):
        assert (a / path).read_bytes() == (b / path).read_bytes(), path
    # metrics.csv holds no wall-clock values (those are in timing.csv)
    pd.testing.assert_frame_equal(pd.read_csv(a / RUN / "metrics.csv"), pd.read_csv(b / RUN / "metrics.csv"))
    wa = torch.load(a / RUN / "best.pt", weights_only=True)["model"]
    wb = torch.load(b / RUN / "best.pt", weights_only=True)["model"]
    assert all(torch.equal(wa[k], wb[k]) for k in wa)

    jobs = {j["Comment"]: j for j in sacct(run_id(log))}
    train = next(j for c, j in jobs.items() if c.startswith("rule_train_classifier"))
    assert (train["ReqMem"], train["Timelimit"], train["State"]) == ("6000M", "04:00:00", "COMPLETED")
    materialise = [j for c, j in jobs.items() if c.startswith("rule_materialise_dataset")]
    assert len(materialise) == 2 and all((j["ReqMem"], j["Timelimit"]) == ("8000M", "02:00:00") for j in materialise)
    assert not any(c.startswith(("rule_card", "rule_split", "rule_wordnet")) for c in jobs)  # local rules


def test_gpu_request_reaches_slurm_and_a_failing_rule_fails_the_run(repo, slurm, tmp_path):
    config = yaml.safe_load((repo / "configs/smoke.yaml").read_text())
    config["device"] = "cuda"  # the job gets a (fake) GPU from SLURM, but this machine has no CUDA
    path = tmp_path / "cuda.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = snakemake(repo, tmp_path / "w", [TARGETS[1], *slurm_args(repo), "--retries", "0"], path)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "SLURM status is: 'FAILED'" in log, log[-4000:]
    jobs = {j["Comment"]: j for j in sacct(run_id(log))}
    train = next(j for c, j in jobs.items() if c.startswith("rule_train_classifier"))
    assert train["State"] == "FAILED" and "gres/gpu=1" in train["ReqTRES"]
    train_log = (tmp_path / "w/results/logs/train/digits/full/tiny/weak/seed-0/train.log").read_text()
    assert "CUDA is not available here" in train_log
    assert not (tmp_path / "w" / RUN / "best.pt").exists()
