"""The published gmaug points with the re-fitted and the published curves gain = A exp(-k x)."""

import pandas as pd

from kdgen.gmaug.figures import paper_fit_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    paper, fit = pd.read_csv(snakemake.input.paper), pd.read_csv(snakemake.input.fit)
    fig = paper_fit_figure(paper, fit)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s (%d points, %d curves)", snakemake.output.png, len(paper), len(fit))
