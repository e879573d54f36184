#!/usr/bin/env bash
# Install what kdgen needs into the current Python (use a venv or conda env of your own if you like):
# the pinned Python packages of pyproject.toml and, where we are root on Debian/Ubuntu, the WordNet 3.0
# database the workflow builds NLTK's WordNet from when nltk.download cannot reach the network.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -f /usr/share/wordnet/data.noun ] && [ -z "${NLTK_DATA:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Debian's wordnet-base (WordNet 3.0 database)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wordnet-base >/dev/null
    else
        echo "setup: no WordNet database found and not root on apt: the wordnet rule will try nltk.download" >&2
    fi
fi

python -m pip install --quiet --disable-pip-version-check -e ".[test]"
command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
echo "setup: done ($(python -c 'import torch, snakemake; print("torch", torch.__version__, "| snakemake", snakemake.__version__)'))"
