#!/usr/bin/env bash
# Run a command inside kdgen's Python environment:   bash run.sh snakemake --cores 2
#                                                     bash run.sh python -m pytest
#
# The environment is the one `bash setup.sh` installed into (kdgen_choose_env below, shared with
# setup.sh, which sources this file for it):
#   1. an activated virtual environment ($VIRTUAL_ENV), used as it is;
#   2. else an activated conda environment ($CONDA_PREFIX), used as it is;
#   3. else the project venv <repo>/.venv, which setup.sh creates. This is what makes the README's
#      commands work on a stock Debian/Ubuntu, whose system Python refuses `pip install` (PEP 668).
# The command runs with that environment's bin/ first on PATH, so `python`, `snakemake` and `pytest`
# are the environment's own (not, say, a pyenv shim or /usr/bin/python3), and in the caller's
# working directory.
#
#   bash run.sh --which    print the environment directory that would be used, and exit
set -euo pipefail

# The repository root: where this file lives (setup.sh sources it from there too).
KDGEN_ROOT="$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"

# Sets KDGEN_ENV (the environment directory), KDGEN_ENV_KIND (venv | conda | project) and
# KDGEN_ENV_WHY (one line for the user). The only place that decides which environment kdgen uses.
kdgen_choose_env() {
    if [ -n "${VIRTUAL_ENV:-}" ]; then
        KDGEN_ENV="$VIRTUAL_ENV"
        KDGEN_ENV_KIND=venv
        KDGEN_ENV_WHY="the active virtual environment $KDGEN_ENV (\$VIRTUAL_ENV is set)"
    elif [ -n "${CONDA_PREFIX:-}" ]; then
        KDGEN_ENV="$CONDA_PREFIX"
        KDGEN_ENV_KIND=conda
        KDGEN_ENV_WHY="the active conda environment $KDGEN_ENV (\$CONDA_PREFIX is set)"
    else
        KDGEN_ENV="$KDGEN_ROOT/.venv"
        KDGEN_ENV_KIND=project
        KDGEN_ENV_WHY="the project venv $KDGEN_ENV (no venv or conda env active)"
    fi
}

kdgen_run_usage() {
    echo "usage: bash run.sh COMMAND [ARGS...]   run COMMAND in kdgen's Python environment"
    echo "       bash run.sh --which              print that environment's directory"
    echo "e.g.   bash run.sh snakemake --cores 2;  bash run.sh python -m pytest"
}

kdgen_run_main() {
    case "${1:-}" in
        "") kdgen_run_usage >&2; exit 2 ;;
        -h | --help) kdgen_run_usage; exit 0 ;;
    esac
    kdgen_choose_env
    if [ "$1" = --which ]; then
        echo "$KDGEN_ENV"
        exit 0
    fi
    if [ "$KDGEN_ENV_KIND" = project ] && [ ! -x "$KDGEN_ENV/bin/python" ]; then
        echo "run.sh: no environment: run 'bash setup.sh' first (it creates $KDGEN_ENV)" >&2
        exit 1
    fi
    if [ ! -d "$KDGEN_ENV/bin" ]; then
        echo "run.sh: $KDGEN_ENV_WHY has no bin/ directory; deactivate it or run 'bash setup.sh' in a working one" >&2
        exit 1
    fi
    export PATH="$KDGEN_ENV/bin:$PATH"
    if [ "$KDGEN_ENV_KIND" = project ]; then
        # What `source .venv/bin/activate` would set: tools that look for an active venv find it.
        export VIRTUAL_ENV="$KDGEN_ENV"
        unset PYTHONHOME
    fi
    if [ "$(basename -- "$1")" = snakemake ]; then
        kdgen_check_configfiles "${@:2}"
    fi
    exec "$@"
}

# Snakemake parses a --configfile before the workflow starts, and a missing file or a YAML syntax error
# there is a traceback or a line without the file's line and column: check them first, one line each.
kdgen_check_configfiles() {
    local files=() taking=0 arg
    for arg in "$@"; do
        case "$arg" in
            --configfile=* | --configfiles=*) files+=("${arg#*=}"); taking=0 ;;
            --configfile | --configfiles) taking=1 ;;
            -*) taking=0 ;;
            *) if [ "$taking" = 1 ]; then files+=("$arg"); fi ;;
        esac
    done
    if [ "${#files[@]}" -gt 0 ]; then
        PYTHONPATH="$KDGEN_ROOT/workflow${PYTHONPATH:+:$PYTHONPATH}" python -m kdgen.config_file "${files[@]}" || exit 1
    fi
}

# Run only when executed (`bash run.sh ...`); when setup.sh sources this file it just gets the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    kdgen_run_main "$@"
fi
