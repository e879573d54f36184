"""Train one classifier of the gmaug study through the classifier trainer (resumable) and evaluate its best
checkpoint on the test split: the original one on the imbalanced subset (rule gmaug_original), or a
re-balanced one (rule gmaug_classifier: the subset plus a generator's candidates as one arm keeps them,
with the training set and the per-class counts recorded)."""

import numpy as np
import torch

from kdgen.gmaug.data import load_imbalanced, original_data, rebalance
from kdgen.runtime import atomic_path, logged
from kdgen.train.classifier import train_and_save, write_evaluations
from kdgen.train.trainer import TrainConfig

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    w, p, out, inp = snakemake.wildcards, snakemake.params, snakemake.output, snakemake.input
    data = load_imbalanced(inp)
    if "candidates" in inp.keys():
        with np.load(inp.candidates) as c:
            candidates, intended = c["images"], c["labels"].astype(np.int64)
        filters = {k: inp[k] for k in ("original", "step1") if k in inp.keys()}
        r = rebalance(data, candidates, intended, w.gmaug_arm, p.target, p.gmaug["filter"], int(w.seed), filters, device=p.device, log=log.info)
        with atomic_path(out.selection) as tmp, tmp.open("wb") as fh:
            extra = {} if r.accepted is None else {"accepted": r.accepted}
            np.savez(fh, source=r.source, origin=r.origin, labels=r.data.train[1].numpy(), kept=r.kept, **extra)
        with atomic_path(out.classes) as tmp:
            r.classes.to_csv(tmp, index=False)
        split, meta = r.data, {"generator": w.gmaug_generator, "arm": w.gmaug_arm, "generated": int(len(r.kept))}
    else:
        split, meta = original_data(data), {"generator": "", "arm": "original", "generated": 0}
    cfg = TrainConfig(**p.training, augmentation=p.gmaug["aug"], seed=int(w.seed), device=p.device, precision=p.precision)
    train_and_save(p.gmaug["arch"], split, cfg, p.state_dir, out.best, out.last, out.metrics, out.timing, weights=p.weights, meta=meta, log=log.info)
    write_evaluations(out.best, split, {"test": out.test}, p.eval_batch_size, p.device, p.precision, log.info)
