"""The vocabulary's candidate nouns of a dataset and their template-averaged CLIP text embeddings (computed once)."""

import numpy as np
import torch

from kdgen.data.store import load_dataset
from kdgen.data.wordnet import load_wordnet
from kdgen.runtime import atomic_path, logged
from kdgen.xkd.clip import template_embeddings
from kdgen.xkd.study import class_synsets, clip_bundle
from kdgen.xkd.vocabulary import candidate_nouns, wordnet_tree_select

with logged(snakemake.log[0]) as log:
    torch.set_num_threads(snakemake.threads)
    p, inp = snakemake.params, snakemake.input
    voc = p.vocabulary
    wn = load_wordnet(p.nltk_data)
    ds = load_dataset(inp.images, inp.manifest)
    classes = [s.name() for s in class_synsets(wn, ds.classes)]
    extra = {}
    if voc["mode"] == "tac":
        where = {"classes": {"near": classes}, "root": {"root": voc["root"]}, "all": {}}[voc["candidates"]]
        found = candidate_nouns(wn, cap=voc["cap"], **where)
        texts, synsets = [c.text for c in found], [c.synset for c in found]
        log.info("%d candidate nouns (%s%s, cap %s)", len(texts), voc["candidates"], f" {voc['root']}" if voc["candidates"] == "root" else "", voc["cap"])
    else:
        tree = wordnet_tree_select(wn, classes, voc["hyponym_depth"])
        texts, synsets = tree["text"].tolist(), tree["synset"].tolist()
        extra = {"class_synset": tree["class_synset"].to_numpy(str), "relation": tree["relation"].to_numpy(str), "class_synsets": np.array(classes)}
        log.info("%d nouns from the WordNet trees of %d classes (hyponym depth %d)", len(texts), len(classes), voc["hyponym_depth"])
    bundle = clip_bundle(p.clip, inp.get("clip"), p.device)
    emb = template_embeddings(bundle, texts)
    with atomic_path(snakemake.output[0]) as tmp, open(tmp, "wb") as f:
        np.savez(f, texts=np.array(texts), synsets=np.array(synsets), emb=emb.numpy(), **extra)
    log.info("embedded %d nouns x 7 templates", len(texts))
