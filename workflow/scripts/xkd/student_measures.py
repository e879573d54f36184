"""Val and test top-1 of a dataset's xkd students: no KD, T_m alone, T_m + T_x of each student arm."""

import pandas as pd
import torch

from kdgen.runtime import atomic_write_text, logged
from kdgen.train.classifier import load_classifier, load_split_data
from kdgen.train.trainer import evaluate

with logged(snakemake.log[0], snakemake.input) as log:
    torch.set_num_threads(snakemake.threads)
    p, inp = snakemake.params, snakemake.input
    data = load_split_data(inp.images, inp.manifest, inp.splits)
    rows = []
    for model_spec, path in zip(p.models, inp.checkpoints):
        model, _ = load_classifier(path)
        record = {"dataset": snakemake.wildcards.dataset, "student": model_spec["student"], "arm": model_spec["arm"], "seed": model_spec["seed"]}
        for split in ("val", "test"):
            record[f"{split}_top1"] = evaluate(model, *getattr(data, split), p.batch_size, p.device)["top1"]
        rows.append(record)
        log.info("%s seed %s: val %.2f test %.2f (%s)", record["student"], record["seed"], record["val_top1"], record["test_top1"], path)
    atomic_write_text(snakemake.output[0], pd.DataFrame(rows).to_csv(index=False))
