"""Nearest training image of every sample of every run on one dataset, and the replication % at each
threshold (pixel space; with ganrep.feature_space also the ratio test in the FID extractor's feature
space). The dataset is read and the extractor loaded once; each training subset's features are
extracted once for all the runs trained on it."""

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
from kdgen.runtime import atomic_path, atomic_write_text, logged

with logged(snakemake.log[0], snakemake.input) as log:
    p = snakemake.params
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    features = load_features(p.inception, snakemake.input.get("classifier")) if p.feature_space else None
    training, training_features = {}, {}
    for run in p.runs:
        if run["subset"] not in training:
            training[run["subset"]] = rgb_at(ds.images[np.load(run["subset"])], p.image_size)
        real = training[run["subset"]]
        with np.load(run["samples"]) as data:
            samples = data["samples"]
        nn = nearest_training_images(samples, real)
        with atomic_path(run["neighbours"]) as tmp, tmp.open("wb") as fh:
            np.savez(fh, **nn)
        summary = {
            "n_samples": len(samples),
            "n_training": len(real),
            "median_rms": float(np.median(nn["rms"])),
            **{f"rep_pct_alpha{a:g}": replication_rate(nn["rms"], alpha_to_rms(a)) for a in p.alphas},
            "rep_pct_ratio": ratio_test_rate(nn["d1"], nn["d2"], p.ratio),
            "ratio": p.ratio,
        }
        if features is not None:
            if run["subset"] not in training_features:
                training_features[run["subset"]] = extract_features(features, real)
            summary.update(feature_replication(extract_features(features, samples), training_features[run["subset"]], nn["index"], p.ratio))
            summary["feature_extractor"] = extractor_label(p.inception, p.arch)
        atomic_write_text(run["summary"], json.dumps(summary, indent=2) + "\n")
        log.info("%s: %s", run["samples"], summary)
