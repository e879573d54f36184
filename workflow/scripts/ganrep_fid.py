"""FID and KID of one GAN's samples against the training split (injectable feature extractor)."""

import json

import numpy as np

from kdgen.data.sources import rgb_at
from kdgen.data.store import load_dataset
from kdgen.metrics.fid import extractor_label, fid_kid, load_features
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    with np.load(snakemake.input.splits) as splits:
        real = rgb_at(ds.images[splits["train"]], p.image_size)
    with np.load(snakemake.input.samples) as data:
        fake = data["samples"]
    features = None if p.inception else load_features(None, snakemake.input.classifier)
    result = fid_kid(real, fake, features, p.inception)
    result["extractor"] = extractor_label(p.inception, p.arch)
    atomic_write_text(snakemake.output[0], json.dumps(result, indent=2) + "\n")
    log.info("%s", result)
