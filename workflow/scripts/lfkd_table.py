"""The lfkd table: one row per dataset and config (no-KD students included), measures as mean and std over seeds."""

import pandas as pd

from kdgen.distill.lfkd import config_table
from kdgen.plots.tables import write_table
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    students = pd.concat([pd.read_csv(f) for f in snakemake.input], ignore_index=True)
    table = config_table(students, snakemake.params.attention)
    write_table(table, snakemake.output.csv, snakemake.output.md)
    log.info("%d student runs in %d rows", len(students), len(table))
