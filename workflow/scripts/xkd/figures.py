"""One xkd figure (params.figure): a table's figure (main, leakage, mix_sweep, noise_sweep: drawn from the table of
the same name), or per dataset the vocabulary per cluster, example retrievals, or the compact CLIP."""

import json

import numpy as np
import pandas as pd

from kdgen.data.store import load_dataset
from kdgen.plots.style import save_figure
from kdgen.xkd import figures as plots
from kdgen.runtime import logged

ROWS = 16  # clusters (or test images) drawn at most

with logged(snakemake.log[0], snakemake.input) as log:
    p, inp, name = snakemake.params, snakemake.input, snakemake.params.figure
    if name == "table":
        fig = plots.figure(snakemake.wildcards.table, pd.read_csv(inp.table))
    elif name == "clip":
        fig = plots.clip_figure(pd.read_csv(inp.metrics), json.loads(open(inp.retrieval).read()))
    else:
        ds = load_dataset(inp.images, inp.manifest)
        if name == "vocabulary":
            table = pd.read_csv(inp.table, keep_default_na=False)
            with np.load(inp.clusters) as z:
                examples, sizes = z["examples"], z["sizes"]
            largest = np.argsort(-sizes, kind="stable")[:ROWS]
            clusters = [
                {"cluster": int(c), "size": int(sizes[c]), "images": ds.images[examples[c][examples[c] >= 0]],
                 "nouns": table.loc[table["cluster"] == c, "text"].tolist()}
                for c in sorted(largest)
            ]
            fig = plots.vocabulary_figure(clusters)
        else:  # retrievals: seeded test images, their nearest vocabulary nouns (only this figure needs torch)
            import torch

            from kdgen.train.trainer import derive_seed
            from kdgen.xkd.io import load_embeddings, split_ids

            emb = load_embeddings(inp.embeddings)
            test = split_ids(inp.splits, "test")
            pick = np.sort(np.random.default_rng(derive_seed(p.seed, 12)).permutation(test)[:ROWS])
            v, y, _ = emb.take(pick)
            with np.load(inp.vocabulary) as z:
                nouns, texts = torch.from_numpy(z["emb"]).float(), z["texts"]
            scores, idx = (v @ nouns.T).topk(min(5, len(nouns)), dim=1)
            rows = [
                {"image": ds.images[i], "label": emb.class_names[int(c)], "nouns": [str(texts[j]) for j in js], "scores": s.tolist()}
                for i, c, js, s in zip(pick, y, idx.tolist(), scores)
            ]
            fig = plots.retrieval_figure(rows)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s", snakemake.output.png)
