"""The gmaug learning curves of a dataset: validation top-1 and training loss per epoch of the original and
the re-balanced classifiers (mean over seeds)."""

import pandas as pd

from kdgen.gmaug.figures import learning_curves_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    paths = snakemake.input.metrics
    paths = [paths] if isinstance(paths, str) else list(paths)
    runs = [dict(r) for r in snakemake.params.runs]
    fig = learning_curves_figure(runs, [pd.read_csv(m) for m in paths])
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s (%d runs)", snakemake.output.png, len(runs))
