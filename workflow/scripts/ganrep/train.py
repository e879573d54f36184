"""Train one GAN {generator, dataset, size, seed} on a nested-ladder subset (resumable), then store the
losses, the EMA generator and its samples (uint8, lossless)."""

import json
import shutil

import numpy as np
import torch

from kdgen.data.sources import rgb_at
from kdgen.data.store import load_dataset
from kdgen.generative.gan import GANConfig
from kdgen.generative.training import sample, train_gan
from kdgen.runtime import atomic_path, atomic_torch_save, atomic_write_rows, logged
from kdgen.train.trainer import as_rgb_batch

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    w, p = snakemake.wildcards, snakemake.params
    ds = load_dataset(snakemake.input.images, snakemake.input.manifest)
    images = rgb_at(ds.images[np.load(snakemake.input.subset)], p.image_size)
    cfg = GANConfig(**p.spec, image_size=p.image_size)
    log.info("%s (%s-style) on %s size %s: %s", w.generator, cfg.family, w.dataset, w.size, cfg)
    g_ema, history = train_gan(cfg, as_rgb_batch(images), None, int(w.seed), p.state_dir, device=p.device, log=log.info)
    samples = sample(g_ema, cfg, p.n, seed=int(w.seed))
    with atomic_path(snakemake.output.samples) as tmp, tmp.open("wb") as fh:
        np.savez_compressed(fh, samples=samples)
    log.info("%d samples %s", len(samples), samples.shape[1:])
    atomic_write_rows(snakemake.output.losses, history)
    atomic_torch_save({"g_ema": g_ema.state_dict(), "config": json.dumps(cfg.__dict__)}, snakemake.output.generator)
    shutil.rmtree(p.state_dir)
