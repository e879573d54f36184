"""Every T_x of a dataset on the test split: top-1, mean softmax entropy, IG image share; val top-1 beside."""

import numpy as np
import pandas as pd
import torch

from kdgen.runtime import atomic_write_text, logged
from kdgen.train.trainer import derive_seed, predict_logits
from kdgen.xkd.crossmodal import entropy_nats, integrated_gradients_image_share
from kdgen.xkd.io import load_crossmodal, load_embeddings, split_ids, teacher_rows

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    p, inp = snakemake.params, snakemake.input
    emb = load_embeddings(inp.embeddings)
    test_ids, val_ids = split_ids(inp.splits, "test"), split_ids(inp.splits, "val")
    # the same test images for every T_x (a seeded choice when there are more than ig_samples)
    rng = np.random.default_rng(derive_seed(p.seed, 11))
    ig_pos = np.sort(rng.permutation(len(test_ids))[: p.ig_samples])
    rows = []
    for run, path in zip(p.runs, inp.teachers):
        model, meta = load_crossmodal(path)
        record = {"dataset": snakemake.wildcards.dataset, "arm": run["arm"], "seed": run["seed"]}
        for split, ids in (("val", val_ids), ("test", test_ids)):
            x, y, _ = teacher_rows(emb, ids, meta["arm"], meta["seed"])
            logits = predict_logits(model, x, batch_size=4096, inputs="features")
            record[f"{split}_top1"] = 100.0 * float((logits.argmax(1) == y).float().mean())
        record["entropy_nats"] = float(entropy_nats(logits).mean())
        ig = integrated_gradients_image_share(model, x[ig_pos], y[ig_pos], steps=p.ig_steps, batch=256)
        share = ig["image_share"]
        record["image_share"] = float(share[~share.isnan()].mean()) if bool((~share.isnan()).any()) else float("nan")
        # completeness: the mean |sum attr - (F(z) - F(0))| relative to the mean |F(z) - F(0)| (a per-sample ratio
        # explodes where a ReLU head gives F(z) ~ F(0))
        record["ig_delta"] = float(ig["delta"].abs().mean() / ig["expected"].abs().mean().clamp_min(1e-12))
        rows.append(record)
        log.info("%s seed %s: test top-1 %.2f, entropy %.3f nats, image share %.3f (IG completeness error %.2g)",
                 run["arm"], run["seed"], record["test_top1"], record["entropy_nats"], record["image_share"], record["ig_delta"])
    atomic_write_text(snakemake.output[0], pd.DataFrame(rows).to_csv(index=False))
