"""One xkd table (main, leakage, mix_sweep, noise_sweep) over every dataset, with the published numbers beside."""

import pandas as pd

from kdgen.runtime import atomic_write_text, logged
from kdgen.xkd import tables

with logged(snakemake.log[0], snakemake.input) as log:
    inp, name = snakemake.input, snakemake.wildcards.table
    teachers = pd.concat([pd.read_csv(f) for f in inp.teachers], ignore_index=True)
    students = pd.concat([pd.read_csv(f, keep_default_na=False, na_values=[""]) for f in inp.students], ignore_index=True)
    table, md = tables.build(name, teachers, students, pd.read_csv(inp.paper), pd.read_csv(inp.paper_leakage))
    atomic_write_text(snakemake.output.csv, table.to_csv(index=False))
    atomic_write_text(snakemake.output.md, md)
    log.info("%s: %d rows", name, len(table))
