"""The gmaug class counts of a dataset: images per class after each generator's step-1 re-balancing (real
and generated stacked), the target and the acceptance rate."""

import pandas as pd

from kdgen.gmaug.figures import class_counts_figure
from kdgen.plots.style import save_figure
from kdgen.runtime import logged

with logged(snakemake.log[0]) as log:
    paths = snakemake.input.classes
    paths = [paths] if isinstance(paths, str) else list(paths)
    tables = [(name, pd.read_csv(path)) for name, path in zip(snakemake.params.generators, paths)]
    fig = class_counts_figure(tables)
    save_figure(fig, snakemake.output.png, snakemake.output.pdf)
    log.info("wrote %s (%d generators)", snakemake.output.png, len(tables))
