"""One xkd figure drawn from its table (main, leakage, mix_sweep, noise_sweep)."""

import pandas as pd

from kdgen.xkd import figures as plots
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    name = snakemake.wildcards.table
    table = pd.read_csv(snakemake.input[0])
    fig = plots.figure(name, table)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s", snakemake.output.png)
