"""Intrinsic dimension of a training subset (32x32x3, Levina-Bickel (k-2), bootstrap)."""

import json

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.metrics import intrinsic_dimension
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0]) as log:
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    images = ds.images[np.load(snakemake.input.subset)]
    k_min, k_max = snakemake.params.k
    result = intrinsic_dimension(images, k_min, k_max, size=32, bootstrap=snakemake.params.bootstrap, seed=int(snakemake.wildcards.size))
    atomic_write_text(snakemake.output[0], json.dumps(result, indent=2) + "\n")
    log.info("ID %.3f (std %.3f) of %d distinct images", result["id"], result["std"], result["n"])
