"""The published xkd numbers re-derived: per setting and dataset the gain of adding T_x to T_m (points and %),
and, where published, the leak (exact vs relaxed T_x: entropy, top-1, student top-1)."""

import pandas as pd

from kdgen.tables import write_table
from kdgen.runtime import logged
from kdgen.xkd.tables import paper_gains

with logged(snakemake.log[0], snakemake.input) as log:
    paper = pd.read_csv(snakemake.input.paper)
    leakage = pd.read_csv(snakemake.input.paper_leakage)
    table = paper_gains(paper, leakage)
    write_table(table, snakemake.output.csv, snakemake.output.md)
    log.info("%d published rows; mean gain %.2f points", len(table), table["gain_points"].mean())
