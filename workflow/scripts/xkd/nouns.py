"""The vocabulary's candidate nouns of a dataset from WordNet (tac: the classes' neighbourhood, a subtree or every
noun, capped; wordnet_tree: each class's synonyms, hypernyms and hyponyms), as a table; no CLIP needed."""

import pandas as pd

from kdgen.data.store import load_dataset
from kdgen.data.wordnet import load_wordnet
from kdgen.runtime import atomic_write_text, logged
from kdgen.xkd.io import class_synsets
from kdgen.xkd.vocabulary import candidate_nouns, wordnet_tree_select

with logged(snakemake.log[0], snakemake.input) as log:
    p, inp = snakemake.params, snakemake.input
    voc = p.vocabulary
    wn = load_wordnet(p.nltk_data)
    classes = [s.name() for s in class_synsets(wn, load_dataset(inp.images, inp.manifest).classes)]
    if voc["mode"] == "tac":
        where = {"classes": {"near": classes}, "root": {"root": voc["root"]}, "all": {}}[voc["candidates"]]
        found = candidate_nouns(wn, cap=voc["cap"], **where)
        table = pd.DataFrame({"text": [c.text for c in found], "synset": [c.synset for c in found]})
        log.info("%d candidate nouns (%s%s, cap %s)", len(table), voc["candidates"], f" {voc['root']}" if voc["candidates"] == "root" else "", voc["cap"])
    else:
        table = wordnet_tree_select(wn, classes, voc["hyponym_depth"])[["text", "synset", "class_synset", "relation"]]
        log.info("%d nouns from the WordNet trees of %d classes (hyponym depth %d)", len(table), len(classes), voc["hyponym_depth"])
    atomic_write_text(snakemake.output[0], table.to_csv(index=False))
