"""The rules stay clean as studies add to them: Snakemake's linter and snakefmt's formatting."""

import subprocess
import sys


def test_snakemake_lint_finds_nothing(repo):
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--lint", "--configfile", str(repo / "config.yaml")],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Lints for" not in out and "Congratulations" in out, out[-3000:]


def test_snakefmt_leaves_every_rules_file_unchanged(repo):
    files = [repo / "Snakefile", *sorted((repo / "workflow" / "rules").glob("*.smk"))]
    proc = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", "--diff", *map(str, files)],
        cwd=repo, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
