"""Hold a stratified validation split out of the source train split; keep the test split as is."""

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.data.subsets import make_splits
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    spec = snakemake.params.spec
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    splits = make_splits(ds.labels, ds.split, spec["val_fraction"], spec["seed"])
    with open(snakemake.output[0], "wb") as fh:
        np.savez(fh, **splits)
    log.info("split sizes: %s", {k: len(v) for k, v in splits.items()})
