"""The template-averaged CLIP text embeddings of a dataset's candidate nouns (computed once)."""

import numpy as np
import pandas as pd
import torch

from kdgen.runtime import atomic_path, logged
from kdgen.xkd.clip import template_embeddings
from kdgen.xkd.io import clip_bundle

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    p, inp = snakemake.params, snakemake.input
    nouns = pd.read_csv(inp.nouns, keep_default_na=False)
    bundle = clip_bundle(p.clip, inp.get("clip"), p.device)
    emb = template_embeddings(bundle, nouns["text"].tolist(), batch_size=p.clip["batch_size"])
    extra = {}
    if "class_synset" in nouns:  # wordnet_tree: which class each noun belongs to, and the classes in order
        extra = {"class_synset": nouns["class_synset"].to_numpy(str), "relation": nouns["relation"].to_numpy(str),
                 "class_synsets": np.array(list(dict.fromkeys(nouns["class_synset"])))}
    with atomic_path(snakemake.output[0]) as tmp, open(tmp, "wb") as f:
        np.savez(f, texts=nouns["text"].to_numpy(str), synsets=nouns["synset"].to_numpy(str), emb=emb.numpy(), **extra)
    log.info("embedded %d nouns x 7 templates", len(nouns))
