"""Samples of an external generator (made elsewhere), read from its file or folder, brought to the
study's image size and stored losslessly as uint8."""

import numpy as np

from kdgen.data.sources import read_external_samples
from kdgen.runtime import atomic_path, logged

with logged(snakemake.log[0], snakemake.input) as log:
    p = snakemake.params
    images = read_external_samples(snakemake.input[0], p.image_size, p.n)
    log.info("read %d external samples from %s", len(images), snakemake.input[0])
    with atomic_path(snakemake.output[0]) as tmp, tmp.open("wb") as fh:
        np.savez_compressed(fh, samples=images)
    log.info("%d samples %s", len(images), images.shape[1:])
