"""Pins stay in step: pyproject.toml, the conda environment files, and the CI script."""

import re
import tomllib

import yaml


def test_conda_env_pins_match_pyproject(repo):
    pins = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    for env_file in sorted((repo / "envs").glob("*.yaml")):
        env = yaml.safe_load(env_file.read_text())
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
        assert sorted(pip) == sorted(pins), env_file  # third-party only: no "-e ..", whose ".." breaks under .snakemake/conda
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", p) for p in pins), "every dependency is pinned exactly"


def test_ci_runs_the_readme_test_command(repo):
    readme = (repo / "README.md").read_text()
    match = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S)
    assert match, "README.md marks its test command with <!-- test-command -->"
    assert match.group(1).strip() in (repo / ".ci" / "run").read_text()


def test_license_file_matches_pyproject(repo):
    license_text = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert license_text == "MIT" and (repo / "LICENSE").read_text().startswith("MIT License")


def test_snakefile_states_the_snakemake_version_it_needs(repo):
    pins = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = next(p.split("==")[1] for p in pins if p.startswith("snakemake=="))
    match = re.search(r'min_version\("([0-9.]+)"\)', (repo / "Snakefile").read_text())
    assert match and pinned.startswith(match.group(1)), "min_version in the Snakefile follows the pinned snakemake"
