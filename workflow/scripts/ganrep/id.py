"""Intrinsic dimension of every training subset of one dataset (32x32x3, Levina-Bickel (k-2), bootstrap);
params.runs: size, subset and output of each."""

import json

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.metrics import intrinsic_dimension
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0], snakemake.input) as log:
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    k_min, k_max = snakemake.params.k
    for run in snakemake.params.runs:
        images = ds.images[np.load(run["subset"])]
        result = intrinsic_dimension(images, k_min, k_max, size=32, bootstrap=snakemake.params.bootstrap, seed=int(run["size"]))
        atomic_write_text(run["id"], json.dumps(result, indent=2) + "\n")
        log.info("size %s: ID %.3f (std %.3f) of %d distinct images", run["size"], result["id"], result["std"], result["n"])
