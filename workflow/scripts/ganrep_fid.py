"""FID and KID of one GAN's samples against the training split (injectable feature extractor)."""

import json

import numpy as np

from kdgen.data.sources import rgb_at
from kdgen.data.store import load_dataset
from kdgen.metrics.fid import ClassifierFeatures, extractor_label, fid_kid
from kdgen.runtime import atomic_write_text, logged
from kdgen.train.classifier import load_classifier

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    with np.load(snakemake.input.splits) as splits:
        real = rgb_at(ds.images[splits["train"]], p.image_size)
    with np.load(snakemake.input.samples) as data:
        fake = data["samples"]
    features = None
    if not p.inception:
        model, ckpt = load_classifier(snakemake.input.classifier)
        features = ClassifierFeatures(model, ckpt["meta"]["image_size"])
    result = fid_kid(real, fake, features, p.inception)
    result["extractor"] = extractor_label(p.inception, p.arch)
    atomic_write_text(snakemake.output[0], json.dumps(result, indent=2) + "\n")
    log.info("%s", result)
