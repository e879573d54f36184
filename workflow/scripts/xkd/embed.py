"""CLIP embeddings of every image of a dataset (by sample id) and of its class names (7 templates averaged)."""

import numpy as np
import torch

from kdgen.data.store import load_dataset
from kdgen.runtime import logged
from kdgen.xkd.clip import encode_images, template_embeddings
from kdgen.xkd.io import Embeddings, clip_bundle, save_embeddings

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    p, inp = snakemake.params, snakemake.input
    bundle = clip_bundle(p.clip, inp.get("clip"), p.device)
    ds = load_dataset(inp.images, inp.manifest)
    names = [c.name.replace("_", " ") for c in ds.classes]
    images = torch.from_numpy(ds.images).permute(0, 3, 1, 2)
    image = encode_images(bundle, images, batch_size=p.clip["batch_size"], device=p.device)
    class_text = template_embeddings(bundle, names)
    source = p.clip["weights"] or f"compact CLIP pretrained by the workflow ({inp.clip})"
    save_embeddings(snakemake.output[0], Embeddings(np.arange(len(image)), image.numpy(), ds.labels, class_text.numpy(), names, f"{p.clip['arch']}: {source}"))
    log.info("%d image and %d class embeddings of dimension %d (%s)", len(image), len(names), image.shape[1], source)
