"""Train one class-conditional generator {generator, dataset, seed} on the dataset's imbalanced subset
(resumable), then draw its candidates: oversample x the missing images of each class (uint8, lossless)."""

import shutil

import numpy as np
import torch

from kdgen.gmaug.generators import train_and_sample
from kdgen.gmaug.data import intended_labels, load_imbalanced
from kdgen.runtime import atomic_path, atomic_write_rows, logged

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    w, p, out = snakemake.wildcards, snakemake.params, snakemake.output
    data = load_imbalanced(snakemake.input)
    counts = data.counts()
    targets, intended = intended_labels(counts, p.target, p.oversample)
    log.info("%s on %s: class counts %s, targets %s, candidates per class %s", w.gmaug_generator, w.dataset, counts.tolist(), targets.tolist(), np.bincount(intended, minlength=len(counts)).tolist())
    images, labels = data.ds.images[data.train], data.ds.labels[data.train]
    candidates, history = train_and_sample(p.spec, images, labels, data.num_classes, intended, int(w.generator_seed), p.state_dir, out.generator, device=p.device, log=log.info)
    with atomic_path(out.candidates) as tmp, tmp.open("wb") as fh:
        np.savez_compressed(fh, images=candidates, labels=intended)
    atomic_write_rows(out.losses, history)
    shutil.rmtree(p.state_dir, ignore_errors=True)
    log.info("%d candidates %s", len(candidates), candidates.shape[1:])
