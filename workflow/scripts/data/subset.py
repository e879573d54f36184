"""One subset of the training split: a nested ladder size (size-N) or a long tail (lt-R)."""

import numpy as np

from kdgen.data.store import load_dataset
from kdgen.data.subsets import long_tail, size_ladder
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    spec, subset = snakemake.params.spec, snakemake.wildcards.subset
    labels = load_dataset(snakemake.input.images, snakemake.input.manifest).labels
    with np.load(snakemake.input.splits) as splits:
        train = splits["train"]
    kind, value = subset.split("-", 1)
    if kind == "size":
        indices = size_ladder(labels, train, [int(value)], spec["seed"])[int(value)]
    else:
        lt = spec["long_tail"]
        order = None
        if lt["class_order"] == "shuffled":
            order = np.random.default_rng([spec["seed"], 7]).permutation(int(labels.max()) + 1)
        indices = long_tail(labels, train, float(value), spec["seed"], lt["n_max"], order)
    with open(snakemake.output[0], "wb") as fh:
        np.save(fh, indices)
    log.info("%s: %d images, per class %s", subset, len(indices), np.bincount(labels[indices]).tolist())
