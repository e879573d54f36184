"""Draw N samples from a trained GAN's EMA generator, stored losslessly as uint8."""

import json

import numpy as np
import torch

from kdgen.generative.gan import GANConfig, build_gan
from kdgen.generative.training import sample
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    ckpt = torch.load(snakemake.input[0], map_location="cpu", weights_only=True)
    config = json.loads(ckpt["config"])
    cfg = GANConfig(**{**config, "betas": tuple(config["betas"])})
    g, _ = build_gan(cfg)
    g.load_state_dict(ckpt["g_ema"])
    images = sample(g, cfg, snakemake.params.n, seed=int(snakemake.wildcards.seed))
    with open(snakemake.output[0], "wb") as fh:
        np.savez_compressed(fh, samples=images)
    log.info("%d samples %s", len(images), images.shape[1:])
