"""Read an external generator's class-labelled samples as a dataset's candidates: per class the first
oversample x missing of them, at the dataset's image size."""

import numpy as np

from kdgen.gmaug.generators import read_labelled_samples, take_external
from kdgen.gmaug.data import intended_labels, load_imbalanced
from kdgen.runtime import atomic_path, logged

with logged(snakemake.log[0], snakemake.input) as log:
    p = snakemake.params
    data = load_imbalanced(snakemake.input)
    counts = data.counts()
    _, intended = intended_labels(counts, p.target, p.oversample)
    images, labels = read_labelled_samples(snakemake.input.samples, data.class_names, data.ds.images.shape[1])
    log.info("%s: %d external samples, per class %s", snakemake.input.samples, len(images), np.bincount(labels, minlength=data.num_classes).tolist())
    candidates, labels = take_external(images, labels, np.bincount(intended, minlength=data.num_classes), log=log.info)
    with atomic_path(snakemake.output.candidates) as tmp, tmp.open("wb") as fh:
        np.savez_compressed(fh, images=candidates, labels=labels)
    log.info("%d candidates", len(candidates))
