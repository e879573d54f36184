"""The scorecard figure: each claim's estimate with its interval, coloured by verdict."""

import pandas as pd

from kdgen.plots.scorecard import scorecard_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0], snakemake.input) as log:
    table = pd.read_csv(snakemake.input[0], keep_default_na=False, na_values=[""])
    save_figure(scorecard_figure(table), snakemake.output.png, snakemake.output.pdf)
    log.info("drew %d rows", len(table))
