"""The published replication points with our re-fitted decay curves."""

import pandas as pd

from kdgen.ganrep.fits import curve_points, published_id_scale
from kdgen.ganrep.figures import paper_fit_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]):
    paper = pd.read_csv(snakemake.input.paper)
    fits = pd.read_csv(snakemake.input.fits)
    mu, sd = published_id_scale(paper)
    ids = paper["id"].dropna()
    curves = curve_points(fits, mu, sd, (ids.min() - 1, ids.max() + 1))
    save_figure(paper_fit_figure(paper, fits, curves, snakemake.params.alpha), snakemake.output.png, snakemake.output.pdf)
