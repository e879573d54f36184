"""The lfkd table: one row per dataset and config (no-KD students included), measures as mean and std over seeds."""

import pandas as pd

from kdgen.distill.lfkd import config_table, readable
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0]) as log:
    students = pd.concat([pd.read_csv(f) for f in snakemake.input], ignore_index=True)
    methods = snakemake.params.attention
    table = config_table(students, methods)
    atomic_write_text(snakemake.output.csv, table.to_csv(index=False))
    # the Markdown view: the main measures as mean ± std (every column, and the std of each, is in the CSV)
    main = ["top1", "test_top1", "overfit_clean", "overfit_aug", "fidelity", "kl", "mi", "ece", *[f"iou_{k}_{m}" for m in methods for k in ("tt", "ts")]]
    atomic_write_text(snakemake.output.md, readable(table, ["dataset", "config", "n"], main).to_markdown(index=False) + "\n")
    log.info("%d student runs in %d rows", len(students), len(table))
