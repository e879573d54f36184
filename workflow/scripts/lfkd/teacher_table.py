"""The lfkd teacher table: per dataset and augmentation, top-1, Affinity and the IoU of teacher pairs."""

import pandas as pd

from kdgen.lfkd.tables import teacher_markdown, teacher_table
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0], snakemake.input) as log:
    teachers = pd.concat([pd.read_csv(f) for f in snakemake.input.teachers], ignore_index=True)
    pairs = pd.concat([pd.read_csv(f) for f in snakemake.input.pairs], ignore_index=True)
    methods = snakemake.params.attention
    table = teacher_table(teachers, pairs, methods)
    atomic_write_text(snakemake.output.csv, table.to_csv(index=False))
    atomic_write_text(snakemake.output.md, teacher_markdown(table, methods))
    log.info("%d teachers, %d pairs in %d rows", len(teachers), len(pairs), len(table))
