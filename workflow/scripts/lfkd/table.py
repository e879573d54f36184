"""The lfkd table: one row per dataset and config (no-KD students included), measures as mean and std over seeds."""

import pandas as pd

from kdgen.lfkd.tables import config_markdown, config_table
from kdgen.runtime import atomic_write_text, logged

with logged(snakemake.log[0], snakemake.input) as log:
    students = pd.concat([pd.read_csv(f) for f in snakemake.input], ignore_index=True)
    methods = snakemake.params.attention
    table = config_table(students, methods)
    atomic_write_text(snakemake.output.csv, table.to_csv(index=False))
    atomic_write_text(snakemake.output.md, config_markdown(table, methods))
    log.info("%d student runs in %d rows", len(students), len(table))
