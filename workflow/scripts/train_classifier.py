"""Train one classifier {dataset, subset, arch, aug, seed}; resumes from <run>/.resume after a kill."""

import torch

from kdgen.runtime import logged
from kdgen.train.classifier import build_classifier, classifier_meta, load_split_data, save_outputs
from kdgen.train.trainer import TrainConfig, fit

with logged(snakemake.log[0]) as log:
    torch.set_num_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    data = load_split_data(snakemake.input.images, snakemake.input.manifest, snakemake.input.splits, snakemake.input.get("subset"))
    cfg = TrainConfig(**p.training, augmentation=w.aug, seed=int(w.seed), device=p.device, precision=p.precision)
    model = build_classifier(w.arch, data, cfg.seed, p.weights)
    log.info("%s on %s/%s: %d train, %d val images, %d classes; %s", w.arch, w.dataset, w.train_subset, len(data.train[0]), len(data.val[0]), data.num_classes, cfg)
    result = fit(model, *data.train, *data.val, cfg, p.state_dir, log=log.info, train_ids=data.split_ids("train"))
    log.info("best validation top-1 %.2f at epoch %d", result.best_val_top1, result.best_epoch)
    save_outputs(model.cpu(), result, classifier_meta(w.arch, data), p.state_dir, snakemake.output.best, snakemake.output.last, snakemake.output.metrics, snakemake.output.timing)
