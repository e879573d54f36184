"""Train one classifier {dataset, subset, arch, aug, seed} and evaluate its best checkpoint on val and test;
resumes from <run>/.resume after a kill."""

import torch

from kdgen.runtime import logged
from kdgen.train.classifier import load_split_data, train_and_save, write_evaluations
from kdgen.train.trainer import TrainConfig

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    w, p, out = snakemake.wildcards, snakemake.params, snakemake.output
    data = load_split_data(snakemake.input.images, snakemake.input.manifest, snakemake.input.splits, snakemake.input.get("subset"))
    cfg = TrainConfig(**p.training, augmentation=w.aug, seed=int(w.seed), device=p.device, precision=p.precision)
    log.info("%s/%s", w.dataset, w.train_subset)
    train_and_save(w.arch, data, cfg, p.state_dir, out.best, out.last, out.metrics, out.timing, weights=p.weights, log=log.info)
    write_evaluations(out.best, data, {"val": out.val, "test": out.test}, p.eval_batch_size, p.device, p.precision, log.info)
