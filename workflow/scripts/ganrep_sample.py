"""Samples of one generator, stored losslessly as uint8: drawn from a built-in GAN's EMA generator,
or read from an external generator's file or folder and brought to the study's image size."""

import json

import numpy as np
import torch

from kdgen.data.sources import read_external_samples
from kdgen.generative.gan import GANConfig, build_gan
from kdgen.generative.training import sample
from kdgen.runtime import atomic_path, logged

with logged(snakemake.log[0]) as log:
    p = snakemake.params
    if p.spec["family"] == "external":
        images = read_external_samples(snakemake.input[0], p.image_size, p.n)
        log.info("read %d external samples from %s", len(images), snakemake.input[0])
    else:
        ckpt = torch.load(snakemake.input[0], map_location="cpu", weights_only=True)
        config = json.loads(ckpt["config"])
        cfg = GANConfig(**{**config, "betas": tuple(config["betas"])})
        g, _ = build_gan(cfg)
        g.load_state_dict(ckpt["g_ema"])
        images = sample(g, cfg, p.n, seed=int(snakemake.wildcards.seed))
    with atomic_path(snakemake.output[0]) as tmp, tmp.open("wb") as fh:
        np.savez_compressed(fh, samples=images)
    log.info("%d samples %s", len(images), images.shape[1:])
