"""FID and KID of every run's samples on one dataset, each against its reference set: the run's own
training subset (ganrep.fid_reference: subset, the authors' protocol) or the whole train split
(train_split). Each reference set's features are extracted once for all the runs that use it."""

import json

import numpy as np

from kdgen.data.sources import rgb_at
from kdgen.data.store import load_dataset
from kdgen.metrics.fid import extractor_label, fid_kid_many, load_features
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0], snakemake.input) as log:
    p = snakemake.params
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    with np.load(snakemake.input.splits) as splits:
        train = splits["train"]
    features = None if p.inception else load_features(None, snakemake.input.classifier)
    label = extractor_label(p.inception, p.arch)
    for reference in sorted({run["reference"] for run in p.runs}):
        runs = [run for run in p.runs if run["reference"] == reference]
        indices = train if reference == "train_split" else np.load(reference)
        real = rgb_at(ds.images[indices], p.image_size)
        fakes = [np.load(run["samples"])["samples"] for run in runs]
        for run, result in zip(runs, fid_kid_many(real, fakes, features, p.inception)):
            result.update(extractor=label, reference=reference if reference == "train_split" else "training subset", reference_images=len(real))
            atomic_write_text(run["fid"], json.dumps(result, indent=2) + "\n")
            log.info("%s against %s (%d images): %s", run["samples"], reference, len(real), result)
