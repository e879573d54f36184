#!/usr/bin/env bash
# Install what kdgen needs into its Python environment: the pinned Python packages of pyproject.toml
# and, where we are root on Debian/Ubuntu, the WordNet 3.0 database the workflow builds NLTK's WordNet
# from when nltk.download cannot reach the network. Then run things with `bash run.sh COMMAND`.
#
# The environment (kdgen_choose_env in run.sh): an activated venv or conda env is used as it is;
# otherwise the project venv .venv/, created here when missing. We never pip-install into the system
# Python: on Debian 12 / Ubuntu 24.04 it is "externally managed" (PEP 668) and pip refuses, and a stock
# install has no venv/ensurepip module until python3-venv is installed (done here through apt when root).
#
#   bash setup.sh             set up
#   bash setup.sh --dry-run   print the environment chosen and what would be done; change nothing
#                             (exit 1 where the real run would stop with an error)
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=run.sh
source ./run.sh    # defines kdgen_choose_env (and KDGEN_ROOT); runs nothing

DRY_RUN=0
case "${1:-}" in
    "") ;;
    --dry-run) DRY_RUN=1 ;;
    *) echo "usage: bash setup.sh [--dry-run]" >&2; exit 2 ;;
esac

MIN_PYTHON=3.11   # pyproject.toml: requires-python = ">=3.11"

say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

# `say` what is done; in a dry run only say what would be done.
plan() {
    if [ "$DRY_RUN" = 1 ]; then say "would $*"; else say "$*"; fi
}

is_root_with_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

# (Called as `apt_install ... || die ...`, where set -e is off: hence the explicit `|| return`.)
apt_install() {
    if [ -z "${APT_UPDATED:-}" ]; then
        apt-get update -qq || return
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# "X.Y" of a Python interpreter; fails when it does not run (e.g. a pyenv shim for a version not installed).
python_version() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

version_ok() {    # X.Y >= MIN_PYTHON
    local major="${1%%.*}" minor="${1#*.}"
    [ "$major" -gt "${MIN_PYTHON%%.*}" ] || { [ "$major" -eq "${MIN_PYTHON%%.*}" ] && [ "$minor" -ge "${MIN_PYTHON#*.}" ]; }
}

# Whether a Python can create a venv with pip in it. Debian/Ubuntu split ensurepip (which venv needs)
# out of the standard library into python3.X-venv; without it `python3 -m venv` fails half-way.
# ensurepip.version() (not just the import) also fails where a leftover empty ensurepip/ directory
# imports as a namespace package, or where the pip wheel ensurepip installs from is missing.
venv_module_ok() {
    "$1" -c 'import venv, ensurepip; ensurepip.version()' >/dev/null 2>&1
}

# Sets BASE_PY / BASE_VER to the first Python >= MIN_PYTHON among the usual names, or stops.
find_base_python() {
    local name path ver found=""
    for name in python3 python3.13 python3.12 python3.11; do
        path="$(command -v "$name" 2>/dev/null)" || continue
        if ! ver="$(python_version "$path")" || [ -z "$ver" ]; then
            found="$found, $name at $path (does not run)"
            continue
        fi
        if version_ok "$ver"; then
            BASE_PY="$path"
            BASE_VER="$ver"
            return 0
        fi
        found="$found, $name $ver at $path"
    done
    [ -n "$found" ] || found=", no python3 on PATH"
    die "no Python >= $MIN_PYTHON to create $KDGEN_ENV with (found: ${found#, }).
  Install one (Debian/Ubuntu: apt-get install python3 python3-venv; or pyenv), or activate a venv or
  conda env with Python >= $MIN_PYTHON of your own and run 'bash setup.sh' again."
}

# Makes BASE_PY able to create venvs: installs python3-venv through apt when root, else stops with
# what to install.
ensure_venv_module() {
    venv_module_ok "$BASE_PY" && return 0
    local why="$BASE_PY (Python $BASE_VER) has no venv/ensurepip module"
    if ! is_root_with_apt; then
        if command -v apt-get >/dev/null 2>&1; then
            die "$why, so it cannot create $KDGEN_ENV.
  Install it: sudo apt-get install python3-venv   (on Ubuntu maybe also python$BASE_VER-venv)
  or activate a venv or conda env of your own first, then run 'bash setup.sh' again."
        fi
        die "$why, so it cannot create $KDGEN_ENV.
  Install your system's venv package for Python $BASE_VER, or activate a venv or conda env of your
  own first, then run 'bash setup.sh' again."
    fi
    if [ "$DRY_RUN" = 1 ]; then
        say "would install python3-venv through apt-get first ($why; python$BASE_VER-venv too if that is not enough)"
        return 0
    fi
    # python3-venv pulls in the venv package of the distribution's default python3. Where BASE_PY is
    # another version (Ubuntu 24.04 with python3.13, say) only the versioned package has its ensurepip.
    say "installing python3-venv through apt-get ($why)"
    apt_install python3-venv || die "apt-get could not install python3-venv; install it (or python$BASE_VER-venv) yourself"
    venv_module_ok "$BASE_PY" && return 0
    say "installing python$BASE_VER-venv through apt-get (python3-venv was not enough for $BASE_PY)"
    apt_install "python$BASE_VER-venv" || die "apt-get could not install python$BASE_VER-venv; install it yourself, or activate a venv or conda env of your own"
    venv_module_ok "$BASE_PY" || die "$BASE_PY still has no venv/ensurepip module after installing python3-venv and python$BASE_VER-venv"
}

# A project venv that works: its python runs and has pip. One left half-made by a failed
# `python3 -m venv` (no ensurepip: python but no pip) or whose base Python was removed is recreated.
project_venv_ok() {
    [ -x "$KDGEN_ENV/bin/python" ] && "$KDGEN_ENV/bin/python" -m pip --version >/dev/null 2>&1
}

create_project_venv() {
    if project_venv_ok; then
        return 0
    fi
    if [ -e "$KDGEN_ENV" ]; then
        plan "remove the broken project venv $KDGEN_ENV (no working bin/python with pip in it)"
        [ "$DRY_RUN" = 1 ] || rm -rf -- "$KDGEN_ROOT/.venv"
    fi
    find_base_python
    ensure_venv_module
    plan "create the project venv $KDGEN_ENV with $BASE_PY (Python $BASE_VER)"
    [ "$DRY_RUN" = 1 ] && return 0
    local out
    if ! out="$("$BASE_PY" -m venv "$KDGEN_ENV" 2>&1)"; then
        rm -rf -- "$KDGEN_ROOT/.venv"    # do not leave a half-made venv behind for the next run
        die "$BASE_PY -m venv $KDGEN_ENV failed:
$out"
    fi
}

# --- the Python environment --------------------------------------------------------------------------
kdgen_choose_env
case "$KDGEN_ENV_KIND" in
    project)
        say "using $KDGEN_ENV_WHY"
        create_project_venv
        ;;
    venv | conda)
        say "using $KDGEN_ENV_WHY"
        [ -x "$KDGEN_ENV/bin/python" ] || die "$KDGEN_ENV has no bin/python.
  Install Python >= $MIN_PYTHON into it ($([ "$KDGEN_ENV_KIND" = conda ] && echo "conda install 'python>=$MIN_PYTHON'" || echo "recreate it")), or deactivate it to use the project venv."
        ver="$(python_version "$KDGEN_ENV/bin/python")" || die "$KDGEN_ENV/bin/python does not run"
        version_ok "$ver" || die "$KDGEN_ENV/bin/python is Python $ver; kdgen needs >= $MIN_PYTHON. Activate another env, or deactivate it to use the project venv."
        ;;
esac
PY="$KDGEN_ENV/bin/python"

# --- the WordNet database ----------------------------------------------------------------------------
if [ ! -f /usr/share/wordnet/data.noun ] && [ -z "${NLTK_DATA:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        if [ "$DRY_RUN" = 1 ]; then
            say "would install Debian's wordnet-base (WordNet 3.0 database) through apt-get"
        else
            echo "setup: installing Debian's wordnet-base (WordNet 3.0 database)"
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wordnet-base >/dev/null
        fi
    else
        echo "setup: no WordNet database found and not root on apt: the wordnet rule will try nltk.download" >&2
    fi
fi

# --- the Python packages -----------------------------------------------------------------------------
# With the environment's own python, so pip installs there whatever `python` is first on PATH.
plan "install kdgen and its pinned packages: $PY -m pip install -e .[test]"
if [ "$DRY_RUN" = 1 ]; then
    exit 0
fi
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[test]"
# An active pyenv-virtualenv env is also reached through pyenv's shims outside run.sh: refresh them so
# they know the new snakemake and pytest. (run.sh itself puts the env's bin/ first and needs no shims.)
if [ "$KDGEN_ENV_KIND" != project ] && command -v pyenv >/dev/null 2>&1; then pyenv rehash || true; fi
echo "setup: done ($("$PY" -c 'import torch, snakemake; print("torch", torch.__version__, "| snakemake", snakemake.__version__)')) in $KDGEN_ENV; run things with: bash run.sh COMMAND"
