"""Evaluate a trained classifier (its best-validation checkpoint) on the val or test split."""

import json

import torch

from kdgen.runtime import atomic_write_text, logged
from kdgen.train.classifier import load_classifier, load_split_data
from kdgen.train.trainer import evaluate, resolve_device

with logged(snakemake.log[0]) as log:
    torch.set_num_threads(snakemake.threads)
    data = load_split_data(snakemake.input.images, snakemake.input.manifest, snakemake.input.splits, snakemake.input.get("subset"))
    model, ckpt = load_classifier(snakemake.input.checkpoint)
    split = snakemake.wildcards.split
    images, labels = getattr(data, split)
    device = resolve_device(snakemake.params.device)
    result = evaluate(model.to(device), images, labels, snakemake.params.batch_size, device, snakemake.params.precision)
    result.update(split=split, checkpoint_epoch=ckpt["epoch"], **ckpt["meta"])
    atomic_write_text(snakemake.output[0], json.dumps(result, indent=2) + "\n")
    log.info("%s top-1 %.2f top-5 %.2f on %d images", split, result["top1"], result["top5"], result["n"])
