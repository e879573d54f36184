"""Nearest training image of every sample, and the replication % at each threshold (pixel space; with
ganrep.feature_space also the ratio test in the FID extractor's feature space)."""

import json

import numpy as np

from kdgen.data.sources import rgb_at
from kdgen.data.store import load_dataset
from kdgen.metrics.fid import extract_features, extractor_label, load_features
from kdgen.metrics.replication import (
    alpha_to_rms,
    feature_replication,
    nearest_training_images,
    ratio_test_rate,
    replication_rate,
)
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    training = rgb_at(ds.images[np.load(snakemake.input.subset)], p.image_size)
    with np.load(snakemake.input.samples) as data:
        samples = data["samples"]
    nn = nearest_training_images(samples, training)
    with open(snakemake.output.neighbours, "wb") as fh:
        np.savez(fh, **nn)
    summary = {
        "n_samples": len(samples),
        "n_training": len(training),
        "median_rms": float(np.median(nn["rms"])),
        **{f"rep_pct_alpha{a:g}": replication_rate(nn["rms"], alpha_to_rms(a)) for a in p.alphas},
        "rep_pct_ratio": ratio_test_rate(nn["d1"], nn["d2"], p.ratio),
        "ratio": p.ratio,
    }
    if p.feature_space:
        features = load_features(p.inception, snakemake.input.get("classifier"))
        feats = [extract_features(features, x) for x in (samples, training)]
        summary.update(feature_replication(*feats, nn["index"], p.ratio))
        summary["feature_extractor"] = extractor_label(p.inception, p.arch)
    atomic_write_text(snakemake.output.summary, json.dumps(summary, indent=2) + "\n")
    log.info("%s", summary)
