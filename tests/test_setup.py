"""setup.sh / run.sh: which Python environment they pick, and what setup does to make one.

The scripts are copied into a temporary "repository" (so the real .venv of this checkout never counts)
and run with a PATH that holds only stub commands written here (python3, python3.12, id, apt-get, ...)
and the few real tools the scripts need. Nothing is installed and no network is used: most tests read
the plan of `bash setup.sh --dry-run`, and one runs the real path against stubs that log what they did.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

BASH = shutil.which("bash")
# The external tools setup.sh and run.sh call (everything else is a bash builtin or a stub below).
TOOLS = ["dirname", "rm"]
MKDIR, CP = shutil.which("mkdir"), shutil.which("cp")  # for the stubs


class Sandbox:
    """A copy of the two scripts plus a bin/ of stubs; `setup(...)` and `run(...)` call them."""

    def __init__(self, root: Path, repo: Path):
        self.root = root
        self.repo = root / "repo"
        self.repo.mkdir()
        for name in ("setup.sh", "run.sh"):
            shutil.copy(repo / name, self.repo / name)
        self.stubs = root / "stubs"
        self.stubs.mkdir()
        tools = root / "tools"
        tools.mkdir()
        for tool in TOOLS:
            (tools / tool).symlink_to(shutil.which(tool))
        self.log = root / "calls.log"
        self.log.touch()
        self.env = {
            "HOME": str(root),
            "PATH": f"{self.stubs}{os.pathsep}{tools}",
            "NLTK_DATA": str(root / "nltk_data"),  # skips setup's WordNet step, which is not tested here
        }
        self.user(0)
        # What a fake `python3 -m venv DIR` copies to DIR/bin/python.
        (root / "venv-template").mkdir()
        self.venv_python = root / "venv-template" / "python"
        self.python("python", "3.11", where=root / "venv-template")

    def stub(self, name: str, body: str, where: Path | None = None) -> Path:
        """A shell-script command `name` (in the stub bin/ unless `where`) that logs its arguments."""
        path = (where or self.stubs) / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.log}"\n{body}\n')
        path.chmod(0o755)
        return path

    def user(self, uid: int) -> None:
        self.stub("id", f'[ "$1" = -u ] && echo {uid} || echo "uid={uid}"')

    def apt(self, installs: dict[str, str] | None = None) -> None:
        """apt-get; `install PKG` touches the marker file installs[PKG] (what makes a python 'venv-capable')."""
        cases = "".join(f'    {pkg}) : > "{marker}" ;;\n' for pkg, marker in (installs or {}).items())
        self.stub("apt-get", f'[ "$1" = install ] || exit 0\nfor a in "$@"; do case "$a" in\n{cases}  esac; done')

    def python(self, name: str, version: str, venv_marker: Path | None = None, where: Path | None = None) -> Path:
        """A fake Python `name` reporting `version`. It has the venv/ensurepip module when `venv_marker`
        is None or that file exists; `-m venv DIR` makes DIR/bin/python, a fake 3.11 with pip."""
        has_ensurepip = "true" if venv_marker is None else f'[ -e "{venv_marker}" ]'
        return self.stub(name, f"""case "$*" in
  *version_info*) echo {version} ;;
  *ensurepip*) {has_ensurepip} || {{ echo "ModuleNotFoundError: No module named 'ensurepip'" >&2; exit 1; }} ;;
  "-m venv "*) "{MKDIR}" -p "$3/bin" && "{CP}" "{self.venv_python}" "$3/bin/python" ;;
  "-m pip --version") echo "pip 24.0" ;;
  "-m pip install"*) ;;
  *torch*) echo "torch 0.0 | snakemake 0.0" ;;
  *) echo "unexpected: $*" >&2; exit 3 ;;
esac""", where=where)

    def fake_env(self, name: str, version: str = "3.11") -> Path:
        """An environment directory (as a venv or conda env would be) with a fake bin/python."""
        env = self.root / name
        (env / "bin").mkdir(parents=True)
        self.python("python", version, where=env / "bin")
        return env

    def _call(self, script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run([BASH, str(self.repo / script), *args], env={**self.env, **env},
                              capture_output=True, text=True, timeout=30)

    def setup(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return self._call("setup.sh", *args, **env)

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return self._call("run.sh", *args, **env)

    def calls(self, name: str) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if line.split(" ", 1)[0] == name]


@pytest.fixture
def box(tmp_path: Path, repo: Path) -> Sandbox:
    return Sandbox(tmp_path, repo)


# --- which environment ------------------------------------------------------------------------------

def test_active_venv_wins_over_conda(box):
    venv, conda = box.fake_env("myvenv"), box.fake_env("myconda")
    box.python("python3", "3.11")
    res = box.setup("--dry-run", VIRTUAL_ENV=str(venv), CONDA_PREFIX=str(conda))
    assert res.returncode == 0, res.stderr
    assert f"setup: using the active virtual environment {venv} ($VIRTUAL_ENV is set)" in res.stdout
    assert f"{venv}/bin/python -m pip install" in res.stdout
    assert "create" not in res.stdout and str(conda) not in res.stdout
    assert box.run("--which", VIRTUAL_ENV=str(venv), CONDA_PREFIX=str(conda)).stdout.strip() == str(venv)


def test_active_conda_env_used_without_a_venv(box):
    conda = box.fake_env("myconda")
    box.python("python3", "3.11")
    res = box.setup("--dry-run", CONDA_PREFIX=str(conda))
    assert res.returncode == 0, res.stderr
    assert f"setup: using the active conda environment {conda} ($CONDA_PREFIX is set)" in res.stdout
    assert f"{conda}/bin/python -m pip install" in res.stdout
    assert "create" not in res.stdout
    assert box.run("--which", CONDA_PREFIX=str(conda)).stdout.strip() == str(conda)


def test_active_env_with_too_old_python_is_refused(box):
    venv = box.fake_env("oldvenv", version="3.9")
    res = box.setup("--dry-run", VIRTUAL_ENV=str(venv))
    assert res.returncode == 1
    assert "Python 3.9" in res.stderr and ">= 3.11" in res.stderr


def test_neither_active_uses_the_project_venv(box):
    box.python("python3", "3.12")
    project = box.repo / ".venv"
    res = box.setup("--dry-run")
    assert res.returncode == 0, res.stderr
    assert f"setup: using the project venv {project} (no venv or conda env active)" in res.stdout
    assert f"{project}/bin/python -m pip install" in res.stdout
    assert box.run("--which").stdout.strip() == str(project)


# --- creating the project venv ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "pythons, chosen",
    [
        ({"python3": "3.11"}, "python3"),
        ({"python3": "3.9", "python3.11": "3.11"}, "python3.11"),  # a too-old python3 is skipped
        ({"python3": "3.10", "python3.13": "3.13", "python3.12": "3.12"}, "python3.13"),
        ({"python3.12": "3.12"}, "python3.12"),  # no python3 at all
    ],
)
def test_project_venv_created_with_the_first_python_of_at_least_3_11(box, pythons, chosen):
    for name, version in pythons.items():
        box.python(name, version)
    res = box.setup("--dry-run")
    assert res.returncode == 0, res.stderr
    line = f"setup: would create the project venv {box.repo / '.venv'} with {box.stubs / chosen} (Python {pythons[chosen]})"
    assert line in res.stdout.splitlines()
    assert not (box.repo / ".venv").exists()


def test_no_python_new_enough_is_a_clear_error(box):
    box.python("python3", "3.9")
    box.python("python3.11", "3.10")  # a mislabelled one: the version it reports counts, not its name
    res = box.setup("--dry-run")
    assert res.returncode == 1
    assert "no Python >= 3.11" in res.stderr
    assert "python3 3.9" in res.stderr and "python3.11 3.10" in res.stderr
    assert "create" not in res.stdout


def test_no_python3_at_all_is_a_clear_error(box):
    res = box.setup("--dry-run")
    assert res.returncode == 1
    assert "no python3 on PATH" in res.stderr


def test_existing_working_project_venv_is_reused(box):
    box.python("python3", "3.11")
    (box.repo / ".venv" / "bin").mkdir(parents=True)
    box.python("python", "3.11", where=box.repo / ".venv" / "bin")
    res = box.setup("--dry-run")
    assert res.returncode == 0, res.stderr
    assert "create" not in res.stdout and "broken" not in res.stdout


def test_broken_project_venv_is_recreated(box):
    box.python("python3", "3.11")
    (box.repo / ".venv" / "lib").mkdir(parents=True)  # no bin/python: e.g. a half-made venv
    res = box.setup("--dry-run")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert f"would remove the broken project venv {box.repo / '.venv'}" in out
    assert out.index("would remove the broken") < out.index("would create the project venv")
    assert (box.repo / ".venv" / "lib").is_dir(), "a dry run changes nothing"


def test_missing_venv_module_as_root_plans_the_apt_install(box):
    box.python("python3", "3.11", venv_marker=box.root / "never")
    box.apt()
    box.user(0)
    res = box.setup("--dry-run")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "setup: would install python3-venv through apt-get first" in out
    assert out.index("python3-venv") < out.index("would create the project venv")
    assert box.calls("apt-get") == [], "a dry run must not call apt-get"


def test_missing_venv_module_not_root_says_what_to_install(box):
    box.python("python3", "3.11", venv_marker=box.root / "never")
    box.apt()
    box.user(1000)
    res = box.setup("--dry-run")
    assert res.returncode == 1
    assert "sudo apt-get install python3-venv" in res.stderr
    assert "activate a venv or conda env of your own" in res.stderr
    assert "would create" not in res.stdout
    assert box.calls("apt-get") == []


def test_missing_venv_module_as_root_without_apt_is_an_error(box):
    box.python("python3", "3.11", venv_marker=box.root / "never")
    box.user(0)  # and no apt-get on PATH (not Debian/Ubuntu)
    res = box.setup("--dry-run")
    assert res.returncode == 1
    assert "venv package for Python 3.11" in res.stderr


@pytest.mark.parametrize("enough", ["python3-venv", "python3.12-venv"])
def test_real_setup_installs_the_venv_package_then_creates_the_venv(box, enough):
    """The real (not dry) path against stubs: apt-get 'installs' the package that gives the python its
    ensurepip (the versioned one only where python3-venv is not enough, as on Ubuntu 24.04 with a
    non-default python3.X), setup then creates .venv with it and pip-installs with .venv's python."""
    marker = box.root / "ensurepip-installed"
    box.python("python3", "3.12", venv_marker=marker)
    box.apt({enough: str(marker)})
    box.user(0)
    res = box.setup()
    assert res.returncode == 0, res.stdout + res.stderr
    installs = [c for c in box.calls("apt-get") if " install " in f"{c} "]
    wanted = ["python3-venv"] if enough == "python3-venv" else ["python3-venv", "python3.12-venv"]
    assert [c.split()[-1] for c in installs] == wanted
    assert box.calls("apt-get")[0] == "apt-get update -qq"
    venv = box.repo / ".venv"
    assert (venv / "bin" / "python").is_file()
    assert f"python3 -m venv {venv}" in box.calls("python3")
    assert any(c.startswith("python -m pip install") and c.endswith("-e .[test]") for c in box.calls("python"))
    assert f"setup: done (torch 0.0 | snakemake 0.0) in {venv}" in res.stdout


def test_real_setup_not_root_stops_before_installing_anything(box):
    box.python("python3", "3.11", venv_marker=box.root / "never")
    box.apt()
    box.user(1000)
    res = box.setup()
    assert res.returncode == 1
    assert "sudo apt-get install python3-venv" in res.stderr
    assert box.calls("apt-get") == [] and not (box.repo / ".venv").exists()


# --- run.sh -------------------------------------------------------------------------------------------

def test_run_without_an_environment_says_to_run_setup(box):
    res = box.run("python", "-V")
    assert res.returncode == 1
    assert "run.sh: no environment: run 'bash setup.sh' first" in res.stderr


def test_run_without_a_command_prints_usage(box):
    res = box.run()
    assert res.returncode == 2
    assert "usage: bash run.sh COMMAND" in res.stderr


SHOW = 'echo "PATH=$PATH"; echo "VIRTUAL_ENV=${VIRTUAL_ENV:-}"; echo "ARGS=$*"'


def test_run_puts_the_project_venv_first_on_path(box):
    bin_dir = box.repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    box.python("python", "3.11", where=bin_dir)
    box.stub("kdgen-show", SHOW, where=bin_dir)
    box.stub("kdgen-show", "echo wrong one", where=box.stubs)  # the same name later on PATH loses
    res = box.run("kdgen-show", "a b", "c")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == f"PATH={bin_dir}{os.pathsep}{box.env['PATH']}"
    assert lines[1] == f"VIRTUAL_ENV={box.repo / '.venv'}"
    assert lines[2] == "ARGS=a b c"


def test_run_uses_the_active_conda_env(box):
    conda = box.fake_env("myconda")
    box.stub("kdgen-show", SHOW, where=conda / "bin")
    (box.repo / ".venv" / "bin").mkdir(parents=True)  # there, but an active env wins
    box.stub("kdgen-show", "echo wrong one", where=box.repo / ".venv" / "bin")
    res = box.run("kdgen-show", CONDA_PREFIX=str(conda))
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == f"PATH={conda / 'bin'}{os.pathsep}{box.env['PATH']}"


def test_ci_runs_the_test_command_through_run_sh(repo):
    assert "bash setup.sh && bash run.sh python -m pytest" in (repo / ".ci" / "run").read_text()


def test_setup_sources_the_one_environment_choice(repo):
    """setup.sh and run.sh share kdgen_choose_env: defined once, in run.sh, and sourced by setup.sh."""
    setup, run = (repo / "setup.sh").read_text(), (repo / "run.sh").read_text()
    assert "source ./run.sh" in setup and "kdgen_choose_env() {" not in setup
    assert run.count("kdgen_choose_env() {") == 1
