"""The lfkd teacher table: per dataset and augmentation, top-1, Affinity and the IoU of teacher pairs."""

import pandas as pd

from kdgen.distill.lfkd import teacher_table
from kdgen.plots.tables import write_table
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    teachers = pd.concat([pd.read_csv(f) for f in snakemake.input.teachers], ignore_index=True)
    pairs = pd.concat([pd.read_csv(f) for f in snakemake.input.pairs], ignore_index=True)
    table = teacher_table(teachers, pairs, snakemake.params.attention)
    write_table(table, snakemake.output.csv, snakemake.output.md)
    log.info("%d teachers, %d pairs in %d rows", len(teachers), len(pairs), len(table))
