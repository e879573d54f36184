"""The xkd vocabulary N of a dataset: tac (spherical k-means of T_x's training images, the top nouns per
cluster) or wordnet_tree (every candidate), with the leaf table of the selected nouns."""

import numpy as np
import pandas as pd
import torch

from kdgen.tables import write_table
from kdgen.runtime import atomic_path, logged
from kdgen.train.trainer import derive_seed
from kdgen.xkd.io import load_embeddings, split_ids
from kdgen.xkd.vocabulary import selected_indices, spherical_kmeans, tac_select

EXAMPLES = 6  # images per cluster in the vocabulary figure

with logged(snakemake.log[0], snakemake.input) as log:
    p, inp, out = snakemake.params, snakemake.input, snakemake.output
    voc = p.vocabulary
    emb = load_embeddings(inp.embeddings)
    train_ids = split_ids(inp.splits, "train", inp.subset or None)
    v, y, _ = emb.take(train_ids)
    with np.load(inp.candidates) as z:
        cand = {k: z[k] for k in z.files}
    nouns = torch.from_numpy(cand["emb"]).float()
    names = emb.class_names
    if voc["mode"] == "tac":
        km = spherical_kmeans(v, voc["clusters"], voc["iterations"], seed=derive_seed(p.seed, 13))
        centres, assign = km.centres, km.assign
        log.info("spherical k-means: %d clusters of %d images, mean cosine to the centre %.3f after %d iterations", len(centres), len(v), km.mean_cosine, km.iterations)
        table = tac_select(centres, nouns, voc["per_cluster"], voc["temperature"])
        chosen = selected_indices(table)
        table["text"] = cand["texts"][table["noun"].to_numpy()]
        table["synset"] = cand["synsets"][table["noun"].to_numpy()]
    else:  # wordnet_tree: the candidates are the classes' trees; every one is in the vocabulary; a class is a "cluster"
        assign = y.clone()
        centres = torch.nn.functional.normalize(torch.stack([v[y == c].mean(0) for c in range(len(names))]), dim=1)
        chosen = np.arange(len(nouns))
        cls = cand["class_synset"]
        table = pd.DataFrame({"cluster": [int(np.flatnonzero(cand["class_synsets"] == c)[0]) for c in cls], "relation": cand["relation"], "text": cand["texts"], "synset": cand["synsets"]})
        table["rank"] = table.groupby("cluster").cumcount()
        table["noun"] = chosen
    k = len(centres)
    sizes = torch.bincount(assign, minlength=k)
    counts = torch.zeros(k, len(names), dtype=torch.int64).index_put_((assign, y), torch.ones_like(y), accumulate=True)
    majority = counts.argmax(1)
    purity = (counts.max(1).values.float() / sizes.clamp_min(1)).numpy()
    table["cluster_size"] = sizes.numpy()[table["cluster"]]
    table["cluster_class"] = [names[c] for c in majority.numpy()[table["cluster"]]]
    table["cluster_purity"] = np.round(purity[table["cluster"]], 3)
    columns = ["cluster", "cluster_size", "cluster_class", "cluster_purity", "rank", "text", "synset"]
    columns += [c for c in ("probability", "relation") if c in table]
    table = table[columns]
    write_table(table, out.csv, out.md)
    # the images nearest each centre, for the figure
    sims = v @ centres.T
    examples = np.full((k, EXAMPLES), -1, dtype=np.int64)
    for c in range(k):
        members = torch.nonzero(assign == c).squeeze(1)
        best = members[sims[members, c].argsort(descending=True)[:EXAMPLES]]
        examples[c, : len(best)] = train_ids[best.numpy()]
    with atomic_path(out.clusters) as tmp, open(tmp, "wb") as f:
        np.savez(f, centres=centres.numpy(), train_ids=train_ids, assign=assign.numpy(), sizes=sizes.numpy(), examples=examples)
    with atomic_path(out.vocabulary) as tmp, open(tmp, "wb") as f:
        np.savez(f, emb=nouns[chosen].numpy(), texts=cand["texts"][chosen], synsets=cand["synsets"][chosen])
    log.info("vocabulary: %d nouns of %d candidates (%s)", len(chosen), len(nouns), voc["mode"])
