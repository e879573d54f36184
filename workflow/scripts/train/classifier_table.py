"""One table of every trained classifier and distilled student, seeds aggregated to mean and standard deviation."""

import json

import pandas as pd

from kdgen.tables import write_table
from kdgen.train.tables import classifier_table
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    records = []
    for run, metrics, val, test in zip(snakemake.params.runs, snakemake.input.metrics, snakemake.input.val, snakemake.input.test):
        v, t = json.load(open(val)), json.load(open(test))
        records.append(
            {
                "dataset": run["dataset"], "subset": run["train_subset"], "arch": run["arch"], "aug": run["aug"],
                "method": run["method"], "teachers": run["teachers"], "seed": int(run["seed"]), "best_epoch": v["checkpoint_epoch"],
                "epochs": len(pd.read_csv(metrics)), "val_top1": v["top1"], "test_top1": t["top1"], "test_top5": t["top5"],
            }
        )
    table = classifier_table(pd.DataFrame(records))
    write_table(table, snakemake.output.csv, snakemake.output.md)
    log.info("%d runs in %d rows", len(records), len(table))
