"""Provision WordNet 3.0 for NLTK (NLTK_DATA, nltk.download, or the system database)."""

import json
import os

from kdgen.data.wordnet import provision_wordnet
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0], snakemake.input) as log:
    search = [p for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    result = provision_wordnet(
        snakemake.output.nltk_data,
        search_paths=search,
        try_download=snakemake.params.download,
        system_dir=snakemake.params.system_dir,
    )
    log.info("WordNet from %s at %s", result["method"], result["nltk_data"])
    atomic_write_text(snakemake.output.provenance, json.dumps(result, indent=2) + "\n")
