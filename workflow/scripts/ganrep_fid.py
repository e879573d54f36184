"""FID and KID of every run's samples on one dataset against its training split (injectable feature
extractor; the training split's features are extracted once)."""

import json
from pathlib import Path

import numpy as np

from kdgen.data.sources import rgb_at
from kdgen.data.store import load_dataset
from kdgen.metrics.fid import extractor_label, fid_kid_many, load_features
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    with np.load(snakemake.input.splits) as splits:
        real = rgb_at(ds.images[splits["train"]], p.image_size)
    fakes = []
    for path in snakemake.input.samples:
        with np.load(path) as data:
            fakes.append(data["samples"])
    features = None if p.inception else load_features(None, snakemake.input.classifier)
    label = extractor_label(p.inception, p.arch)
    for samples_path, out, result in zip(snakemake.input.samples, snakemake.output, fid_kid_many(real, fakes, features, p.inception)):
        if Path(out).parent != Path(samples_path).parent:
            raise RuntimeError(f"FID of {samples_path} would be written to {out}: inputs and outputs out of order")
        result["extractor"] = label
        atomic_write_text(out, json.dumps(result, indent=2) + "\n")
        log.info("%s: %s", samples_path, result)
